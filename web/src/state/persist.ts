/**
 * What the device remembers of an account's conversations between page loads: the
 * channels to join again (the server forgets them when the last connection of a user
 * that is not always-on quits) and the direct conversations opened here.
 */
export interface SavedConversations {
  readonly channels: readonly string[];
  readonly directs: readonly string[];
  /**
   * [nick, saved name]: the nick a direct conversation was last shown under, when it is
   * saved under another name (the person's account), so that its address finds it again.
   */
  readonly aliases: ReadonlyArray<readonly [string, string]>;
  /**
   * [name, time]: direct conversations the user closed, with the time (ISO 8601, the
   * server's) of their latest message then. The server's list of conversations with news
   * (CHATHISTORY TARGETS, asked on every load) brings one back only with a newer message.
   */
  readonly closed: ReadonlyArray<readonly [string, string]>;
}

/** Closed conversations remembered at most (the oldest closed are forgotten first). */
const CLOSED_KEPT = 200;

function storageKey(account: string): string {
  return `cmy.conversations.${account.toLowerCase()}`;
}

function load(account: string): SavedConversations {
  try {
    const parsed = JSON.parse(localStorage.getItem(storageKey(account)) ?? "null") as Partial<SavedConversations> | null;
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);
    const pairs = (value: unknown): Array<[string, string]> =>
      Array.isArray(value) ? value.filter((v): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((s) => typeof s === "string")) : [];
    return { channels: strings(parsed?.channels), directs: strings(parsed?.directs), aliases: pairs(parsed?.aliases), closed: pairs(parsed?.closed) };
  } catch {
    return { channels: [], directs: [], aliases: [], closed: [] };
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
    // Open again: no longer closed.
    const closed = this.#saved.closed.filter(([n]) => this.keyOf(n) !== this.keyOf(name));
    // Already saved under the person's account (a conversation that followed a nick change).
    if (this.savedNameOf(name) !== null) return closed.length === this.#saved.closed.length ? undefined : this.#change({ closed });
    this.#change({ directs: [...this.#saved.directs, name], closed });
  }

  /**
   * The user closed the direct conversation `name`, whose latest message is of `latest`
   * (ISO 8601): it leaves the list, and stays out of it until a newer message comes.
   */
  closeDirect(name: string, latest: string): void {
    const saved = this.savedNameOf(name) ?? name;
    this.remove(name);
    const closed = [...this.#saved.closed.filter(([n]) => this.keyOf(n) !== this.keyOf(saved)), [saved, latest] as const];
    this.#change({ closed: closed.slice(-CLOSED_KEPT) });
  }

  /** Whether `name` was closed here and has no message newer than then (`latest`: its newest, ISO 8601). */
  isClosed(name: string, latest: string): boolean {
    const closedAt = this.#saved.closed.find(([n]) => this.keyOf(n) === this.keyOf(name))?.[1];
    if (closedAt === undefined) return false;
    const newest = Date.parse(latest);
    return Number.isNaN(newest) || newest <= Date.parse(closedAt);
  }

  /** The name a direct conversation shown as `nick` is saved under, when that is another one. */
  savedNameOf(nick: string): string | null {
    const key = this.keyOf(nick);
    const name = this.#saved.aliases.find(([alias]) => this.keyOf(alias) === key)?.[1];
    return name !== undefined && this.#saved.directs.some((n) => this.keyOf(n) === this.keyOf(name)) ? name : null;
  }

  /**
   * The other side of a direct conversation changed nick from `from` to `to`. Someone
   * logged in to an account is saved under it: the server keeps the conversation by
   * account (its history, the conversations with news it lists after a reload, messages
   * kept while they are offline), so a new nick saved would come back as a second
   * conversation beside the account's. `to` still leads to it. Someone without an account
   * is saved under the new nick. Either way the entry keeps its place.
   */
  renameDirect(from: string, to: string, account: string | null): void {
    const entryKey = this.keyOf(this.savedNameOf(from) ?? from);
    const name = account ?? to;
    const directs = this.#saved.directs.map((n) => (this.keyOf(n) === entryKey ? name : n));
    if (!directs.some((n) => this.keyOf(n) === this.keyOf(name))) directs.push(name);
    const aliases = this.#saved.aliases.filter(([, target]) => this.keyOf(target) !== entryKey && this.keyOf(target) !== this.keyOf(name));
    if (this.keyOf(name) !== this.keyOf(to)) aliases.push([to, name]);
    this.#change({ directs, aliases });
  }

  remove(name: string): void {
    const key = this.keyOf(this.savedNameOf(name) ?? name);
    const others = (names: readonly string[]): string[] => names.filter((n) => this.keyOf(n) !== key);
    this.#change({ channels: others(this.#saved.channels), directs: others(this.#saved.directs), aliases: this.#saved.aliases.filter(([, target]) => this.keyOf(target) !== key) });
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
    this.#saved = {
      channels: unique(change.channels ?? this.#saved.channels),
      directs: unique(change.directs ?? this.#saved.directs),
      aliases: change.aliases ?? this.#saved.aliases,
      closed: change.closed ?? this.#saved.closed,
    };
    if (this.#forgotten) return;
    try {
      localStorage.setItem(storageKey(this.account), JSON.stringify(this.#saved));
    } catch {
      // Storage full or refused: the lists are a convenience, the server is the truth.
    }
  }
}
