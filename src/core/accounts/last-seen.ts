import { detached } from "../../detached.js";

/** How often the accounts shown a direct message are marked seen: about the most a crash can have replayed as missed. */
export const SHOWN_FLUSH_MS = 1000;
/** How often every account with a connection on this node is marked seen. */
export const CONNECTED_REFRESH_MS = 60_000;

/** What this needs of AccountService. */
export interface SeenMarks {
  markSeenMany(folded: readonly string[], shownUntil: number): Promise<void>;
}

/**
 * Keeps accounts' last-seen times current while they are connected. A connection's end
 * writes the time, but after a crash (kill -9, a power cut) nothing did, and every direct
 * message an account was shown since its login came back at its next one as "arrived
 * while you were away". Writes are per interval, never per message:
 *
 * - the accounts a direct message reached on this node (a session of theirs here was
 *   handed it) are marked each SHOWN_FLUSH_MS, in one UPDATE (per 500 names, see
 *   touchMany): a message shown earlier than that before a crash is not replayed as missed;
 * - every account with a connection here is marked each CONNECTED_REFRESH_MS, in the
 *   same UPDATE: what the close would have written, within a minute (`user list` shows
 *   it; a message kept for the account that none of its sessions was shown counts from
 *   there, as after a close). Each second for every connection would cost a write of
 *   every connected account's row each second for the rare message the first rule misses.
 *
 * Several nodes may hold sessions of one account and mark it: the store keeps the latest.
 */
export class LastSeenKeeper {
  #pending = new Set<string>();
  /** The latest time of a message shown among the pending accounts. */
  #shownUntil = 0;
  #flushing: Promise<void> | null = null;
  #timers: NodeJS.Timeout[] = [];
  /** One report per outage, not one a second. */
  #failing = false;

  constructor(
    private readonly marks: SeenMarks,
    /** The folded names of the accounts with a connection on this node. */
    private readonly connected: () => Iterable<string>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** A direct message sent at `time` reached a session of the account `folded` on this node. */
  shown(folded: string, time: number): void {
    this.#pending.add(folded);
    if (time > this.#shownUntil) this.#shownUntil = time;
  }

  start(flushMs = SHOWN_FLUSH_MS, refreshMs = CONNECTED_REFRESH_MS): void {
    this.#timers = [
      setInterval(() => detached(this.flush(), this.onError), flushMs),
      setInterval(() => {
        for (const folded of this.connected()) this.#pending.add(folded);
      }, refreshMs),
    ];
    for (const timer of this.#timers) timer.unref();
  }

  /** Stops the timers and writes what is pending (before the database closes). */
  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#flushing;
    await this.flush();
  }

  /** Marks the pending accounts seen, in one batched UPDATE; never rejects. While one is under way, what is pending waits for the next. */
  flush(): Promise<void> {
    if (this.#flushing !== null || this.#pending.size === 0) return Promise.resolve();
    const folded = [...this.#pending];
    const shownUntil = this.#shownUntil;
    this.#pending = new Set();
    this.#shownUntil = 0;
    const flushing = this.marks.markSeenMany(folded, shownUntil).then(
      () => {
        this.#failing = false;
      },
      (error: unknown) => {
        // Marked at the next flush instead: the accounts are still to be marked, and never moved back.
        for (const name of folded) this.#pending.add(name);
        if (shownUntil > this.#shownUntil) this.#shownUntil = shownUntil;
        if (!this.#failing) this.onError(error);
        this.#failing = true;
      },
    );
    this.#flushing = flushing.finally(() => (this.#flushing = null));
    return this.#flushing;
  }
}
