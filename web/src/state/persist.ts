/**
 * What the device remembers of an account's conversations between page loads: the
 * channels to join again (the server forgets them when the last connection of a user
 * that is not always-on quits) and the direct conversations opened here.
 */
export interface SavedConversations {
  readonly channels: readonly string[];
  readonly directs: readonly string[];
}

function storageKey(account: string): string {
  return `cmy.conversations.${account.toLowerCase()}`;
}

function load(account: string): SavedConversations {
  try {
    const parsed = JSON.parse(localStorage.getItem(storageKey(account)) ?? "null") as Partial<SavedConversations> | null;
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);
    return { channels: strings(parsed?.channels), directs: strings(parsed?.directs) };
  } catch {
    return { channels: [], directs: [] };
  }
}

/** One account's saved conversations on this device, each name once (compared by `keyOf`). */
export class SavedConversationList {
  #saved: SavedConversations;
  /** Nothing is saved any more (an answer still on its way must not write the list back). */
  #forgotten = false;

  constructor(
    private readonly account: string,
    private readonly keyOf: (name: string) => string,
  ) {
    this.#saved = load(account);
  }

  get channels(): readonly string[] {
    return this.#saved.channels;
  }

  get directs(): readonly string[] {
    return this.#saved.directs;
  }

  addChannel(name: string): void {
    this.#change({ channels: [...this.#saved.channels, name] });
  }

  addDirect(name: string): void {
    this.#change({ directs: [...this.#saved.directs, name] });
  }

  remove(name: string): void {
    const key = this.keyOf(name);
    this.#change({ channels: this.#saved.channels.filter((n) => this.keyOf(n) !== key), directs: this.#saved.directs.filter((n) => this.keyOf(n) !== key) });
  }

  /** The account signed out of this device: the list goes, for good. */
  forgetAll(): void {
    this.#forgotten = true;
    try {
      localStorage.removeItem(storageKey(this.account));
    } catch {
      // nothing to forget
    }
  }

  #change(change: Partial<SavedConversations>): void {
    const unique = (names: readonly string[]): string[] => {
      const seen = new Set<string>();
      return names.filter((name) => {
        const key = this.keyOf(name);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    };
    this.#saved = { channels: unique(change.channels ?? this.#saved.channels), directs: unique(change.directs ?? this.#saved.directs) };
    if (this.#forgotten) return;
    try {
      localStorage.setItem(storageKey(this.account), JSON.stringify(this.#saved));
    } catch {
      // Storage full or refused: the lists are a convenience, the server is the truth.
    }
  }
}
