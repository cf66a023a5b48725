import type { ChatUser } from "./user.js";
import { detached, ignoreFailure } from "../../detached.js";

/** What is kept of an always-on user so that it comes back after a restart. */
export interface AlwaysOnRecord {
  readonly account: string;
  readonly nick: string;
  readonly username: string;
  readonly hostname: string;
  readonly realname: string;
  readonly channels: readonly string[];
  /** When its last session ended; null while a session is attached. */
  readonly detachedAt: number | null;
}

/** A stored always-on user, with the account's multiclient choice (null = server default). */
export interface StoredAlwaysOn extends AlwaysOnRecord {
  readonly multiclient: boolean | null;
}

/** Where always-on users are kept. The store implements it. */
export interface AlwaysOnStore {
  list(): Promise<StoredAlwaysOn[]>;
  save(record: AlwaysOnRecord): Promise<void>;
  remove(account: string): Promise<void>;
}

export function alwaysOnRecord(user: ChatUser): AlwaysOnRecord | null {
  if (user.account === null) return null;
  return {
    account: user.account,
    nick: user.nick,
    username: user.username,
    hostname: user.hostname,
    realname: user.realname,
    channels: [...user.channels.values()].map((channel) => channel.name),
    detachedAt: user.detachedAt,
  };
}

/**
 * Writes always-on users' nick and channels as they change, coalescing the changes of
 * one loop turn into one write per user. A failed write is reported, and the next
 * change writes the whole state again.
 */
export class AlwaysOnKeeper {
  readonly #dirty = new Map<ChatUser, boolean>();
  #scheduled = false;
  #pending = new Set<Promise<void>>();

  constructor(
    private readonly store: AlwaysOnStore,
    private readonly onError: (error: unknown, account: string) => void,
  ) {}

  /** The user changed (nick, channels, connection state), or stopped being always-on. */
  changed(user: ChatUser): void {
    if (user.account === null) return;
    this.#dirty.set(user, user.alwaysOn);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    for (const [user, keep] of this.#dirty) {
      const record = alwaysOnRecord(user);
      if (!record) continue;
      const write = (keep ? this.store.save(record) : this.store.remove(record.account)).catch((error: unknown) => this.onError(error, record.account));
      this.#pending.add(write);
      // `write` reports its own failure (above), so this never rejects.
      detached(write.finally(() => this.#pending.delete(write)), ignoreFailure);
    }
    this.#dirty.clear();
  }

  /** Waits for every write asked for so far (shutdown). */
  async drain(): Promise<void> {
    if (this.#scheduled) this.#flush();
    await Promise.all(this.#pending);
  }
}
