import type { HistoryStore, StoredMessage } from "./history.js";
import { detached, ignoreFailure } from "../../detached.js";

interface Pending {
  readonly message: StoredMessage;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface HistoryWriterEvents {
  /** How long a batch took to store, in seconds (metrics); not told of failed batches. */
  batchWritten?(seconds: number): void;
  /**
   * The store refused a batch after the last one was stored (a full disk, a database
   * that went away): told once per outage, so a log says it once, not per message.
   */
  failing?(error: unknown): void;
  /** A batch was stored again after an outage; how much was refused during it. */
  recovered?(refused: { batches: number; messages: number }): void;
  /**
   * Every sender of a batch has been answered (stored or refused). What the senders do
   * next (deliver, or tell the client it failed) runs in promise callbacks queued now.
   */
  batchAnswered?(): void;
}

export interface HistoryWriterOptions {
  /**
   * How long a sender waits for its message to be stored before being told it
   * failed. A database that stops answering must not leave senders hanging; the
   * batch may still be written later, but it was never acknowledged or delivered.
   */
  readonly timeoutMs?: number;
  /**
   * Under load, the shortest time from the start of one commit to the start of the next,
   * in ms: messages gather for this long and go in one larger commit, which costs less
   * per message (SQLite writes each index page a commit touches once, however many of
   * its messages share it). "Under load": the previous commit held at least
   * GATHER_AFTER_BATCH messages; otherwise a message is written at the end of its turn,
   * as with 0.
   */
  readonly commitIntervalMs?: number;
  readonly events?: HistoryWriterEvents;
}

/**
 * A commit of at least this many messages means load: the next one waits for the commit
 * interval. Below it (2,000 messages a second in the rooms bench: a few per turn), waiting
 * would add latency and save little.
 */
export const GATHER_AFTER_BATCH = 16;

/**
 * Messages appended in one turn (or one commit interval), and the one timer that bounds how
 * long their senders wait. `committing` once the store is committing it: from then on the
 * senders wait for the outcome. `abandoned` once the timer told them it failed: from then
 * on it is never committed (see CommitGate).
 */
interface Batch {
  readonly items: Pending[];
  timer: NodeJS.Timeout | null;
  state: "open" | "committing" | "abandoned";
}

/**
 * Group commit: messages appended during one turn of the event loop (or, under load,
 * during the commit interval) are written in one transaction, and each caller learns
 * when its message is durable. Order is kept: batches are written one after another,
 * in arrival order.
 */
export class HistoryWriter {
  #pending: Batch | null = null;
  #writing: Promise<void> | null = null;
  #scheduled = false;
  /** The timer a batch waits on for the commit interval to end; null when it waits for the turn's end (or nothing waits). */
  #intervalTimer: NodeJS.Timeout | null = null;
  #lastCommitStarted = Number.NEGATIVE_INFINITY;
  #lastCommitSize = 0;

  readonly #timeoutMs: number;
  #commitIntervalMs: number;
  readonly #events: HistoryWriterEvents;
  /** Batches and messages refused since the last batch that was stored; null while the store works. */
  #outage: { batches: number; messages: number } | null = null;

  constructor(
    private readonly store: HistoryStore,
    options: HistoryWriterOptions = {},
  ) {
    this.#timeoutMs = options.timeoutMs ?? 4000;
    this.#commitIntervalMs = this.#boundedInterval(options.commitIntervalMs ?? 0);
    this.#events = options.events ?? {};
  }

  /** A new commit interval (a reload); a batch already waiting for the old one is scheduled again by the new. */
  setCommitInterval(ms: number): void {
    this.#commitIntervalMs = this.#boundedInterval(ms);
    if (this.#intervalTimer) {
      clearTimeout(this.#intervalTimer);
      this.#intervalTimer = null;
      this.#scheduled = false;
      this.#schedule();
    }
  }

  /** A batch waiting for the interval must still have time to be written before its senders' timeout. */
  #boundedInterval(ms: number): number {
    return Math.max(0, Math.min(ms, this.#timeoutMs / 2));
  }

  append(message: StoredMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.#pending ??= this.#newBatch()).items.push({ message, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * One timer per batch, not per message: its deadline is its first message's. Those
   * appended later in a commit interval get less time, at most the interval less, which
   * #boundedInterval keeps to half the timeout or under.
   */
  #newBatch(): Batch {
    const batch: Batch = { items: [], timer: null, state: "open" };
    batch.timer = setTimeout(() => {
      batch.timer = null;
      if (batch.state === "committing") return;
      batch.state = "abandoned";
      const error = new Error("history store did not answer in time");
      for (const p of batch.items) p.reject(error);
    }, this.#timeoutMs);
    return batch;
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    const wait = this.#lastCommitSize < GATHER_AFTER_BATCH ? 0 : this.#lastCommitStarted + this.#commitIntervalMs - performance.now();
    if (wait > 0) this.#intervalTimer = setTimeout(() => this.#run(), wait);
    else setImmediate(() => this.#run());
  }

  #run(): void {
    this.#scheduled = false;
    this.#intervalTimer = null;
    // #flush settles every batch it takes (stored or refused), so this never rejects.
    detached(this.#flush(), ignoreFailure);
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    if (batch === null) return;
    this.#pending = null;
    const started = performance.now();
    this.#lastCommitStarted = started;
    this.#lastCommitSize = batch.items.length;
    const mayCommit = (): boolean => {
      if (batch.state === "abandoned") return false;
      batch.state = "committing";
      return true;
    };
    // A batch whose senders were told it failed while it waited is not written at all.
    const writing = batch.state === "abandoned" ? Promise.reject(new Error("history store did not answer in time")) : this.store.append(batch.items.map((p) => p.message), mayCommit);
    this.#writing = writing.then(
      () => undefined,
      () => undefined,
    );
    try {
      await writing;
      this.#events.batchWritten?.((performance.now() - started) / 1000);
      if (this.#outage) {
        const refused = this.#outage;
        this.#outage = null;
        this.#events.recovered?.(refused);
      }
      for (const p of batch.items) p.resolve();
    } catch (error) {
      if (!this.#outage) {
        this.#outage = { batches: 0, messages: 0 };
        this.#events.failing?.(error);
      }
      this.#outage.batches++;
      this.#outage.messages += batch.items.length;
      for (const p of batch.items) p.reject(error);
    } finally {
      if (batch.timer !== null) clearTimeout(batch.timer);
      this.#events.batchAnswered?.();
      this.#writing = null;
      if (this.#pending !== null) this.#schedule();
    }
  }

  /** Resolves when everything appended so far has been written (or failed); a batch waiting for the commit interval goes at once. */
  async drain(): Promise<void> {
    while (this.#writing || this.#pending !== null || this.#scheduled) {
      if (this.#intervalTimer) {
        clearTimeout(this.#intervalTimer);
        this.#run();
      }
      if (this.#writing) await this.#writing;
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
