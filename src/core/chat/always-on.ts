import type { ChatUser } from "./user.js";
import { detached, ignoreFailure } from "../../detached.js";
import { foldCase } from "./names.js";

/** A channel an always-on user is in, with its status there. */
export interface AlwaysOnChannel {
  readonly name: string;
  readonly op: boolean;
  readonly voice: boolean;
}

/** The user modes an always-on user keeps across restarts. Operator status is not one: only OPER gives it. */
export interface AlwaysOnModes {
  readonly invisible: boolean;
  readonly wallops: boolean;
  readonly bot: boolean;
}

/** What is kept of an always-on user so that it comes back after a restart. */
export interface AlwaysOnRecord {
  readonly account: string;
  readonly nick: string;
  readonly username: string;
  readonly hostname: string;
  readonly realname: string;
  readonly channels: readonly AlwaysOnChannel[];
  /** Its own away message; null when it set none (the server's, while it has no session, is not its own). */
  readonly away: string | null;
  readonly modes: AlwaysOnModes;
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
    channels: [...user.channels.values()].map((channel) => {
      const membership = channel.members.get(user);
      return { name: channel.name, op: membership?.op === true, voice: membership?.voice === true };
    }),
    away: user.autoAway ? null : user.away,
    modes: { invisible: user.invisible, wallops: user.wallops, bot: user.bot },
    detachedAt: user.detachedAt,
  };
}

/**
 * Writes always-on users' nick, channels (with their status there), away and user modes as
 * they change, coalescing the changes of one loop turn into one write per user. A failed
 * write is reported, and the next change writes the whole state again.
 */
export class AlwaysOnKeeper {
  readonly #dirty = new Map<ChatUser, boolean>();
  #scheduled = false;
  #pending = new Set<Promise<void>>();
  /**
   * Each account's latest write, by folded name: the next one starts after it. Two writes of
   * one user on two connections of a pool (PostgreSQL) could otherwise land in either order,
   * and an older state (away ended at attach) overwrite a newer one (AWAY a moment later).
   */
  readonly #latest = new Map<string, Promise<void>>();

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
      const key = foldCase(record.account);
      const run = (): Promise<void> => (keep ? this.store.save(record) : this.store.remove(record.account));
      // The previous write reports its own failure (below), so it never rejects.
      const previous = this.#latest.get(key);
      const write = (previous ? previous.then(run) : run()).catch((error: unknown) => this.onError(error, record.account));
      this.#latest.set(key, write);
      this.#pending.add(write);
      const settled = (): void => {
        this.#pending.delete(write);
        if (this.#latest.get(key) === write) this.#latest.delete(key);
      };
      // `write` reports its own failure (above), so this never rejects.
      detached(write.finally(settled), ignoreFailure);
    }
    this.#dirty.clear();
  }

  /** Waits for every write asked for so far (shutdown). */
  async drain(): Promise<void> {
    if (this.#scheduled) this.#flush();
    await Promise.all(this.#pending);
  }
}
