import type { LineTransport } from "../net/line-transport.js";
import type { QueuedLine } from "./input-lines.js";

/**
 * The lines of one IRC connection run in the order they arrived, one command at a time:
 * a line waits while an asynchronous command before it runs, while a paced reply to the
 * command before it is being written, and while fakelag holds it back. What is running,
 * what to hold and for how long, the connection says (the abstract members).
 *
 * A base class of IrcConnection, not an object it holds: every connection has one, and
 * thousands sit idle on a busy server, each of which would pay for one more object
 * (bench/idle-heap.ts measures that heap).
 */
export abstract class InputQueue {
  /** Lines that arrived while a command or fakelag held the input; null when none wait. */
  #lines: QueuedLine[] | null = null;
  /** A line fakelag held back; it runs first when the wait is over. */
  #held: QueuedLine | null = null;
  #busy = false;

  abstract get closed(): boolean;
  /** Paused while too many lines wait to run, resumed once they ran. */
  abstract readonly transport: LineTransport;

  /** Settles once the paced reply being written is written; null when none is. */
  protected abstract pacedReplyDone(): Promise<void> | null;
  /** Milliseconds fakelag holds `line` back before it runs (0: it runs now); asked once per line. */
  protected abstract fakelagDelay(line: QueuedLine): number;
  /** Whether reading stops with `queuedLines` waiting to run. */
  protected abstract mustPauseReading(queuedLines: number): boolean;
  /** Runs `line`; a promise (an asynchronous command) holds the lines after it back until it settles. */
  protected abstract runLine(line: QueuedLine): Promise<void> | undefined;
  /** A command that held the queue failed: the queue goes on. */
  protected abstract commandFailed(error: unknown): void;

  /** Lines waiting to run. */
  protected get queuedLines(): number {
    return this.#lines?.length ?? 0;
  }

  protected enqueue(line: QueuedLine): void {
    // Nothing is waiting unless a command or fakelag holds the input: the line runs at once.
    if (!this.#busy) return this.#pump(line);
    const queue = (this.#lines ??= []);
    queue.push(line);
    // Stop reading until the queue drains (flood control off; on, the queue is bounded by IrcConnection.#admit).
    if (this.mustPauseReading(queue.length)) this.transport.pause();
  }

  /** The connection closed: the lines waiting will never run. */
  protected dropQueuedLines(): void {
    this.#lines = null;
  }

  /**
   * Runs `first` (a line that just arrived while nothing waited), then the queued lines,
   * in order, one command at a time (an asynchronous command holds the rest back), and
   * holds back what fakelag says to hold.
   */
  #pump(first?: QueuedLine): void {
    if (this.#busy) return;
    let next = first;
    while (!this.closed) {
      // A paced reply answers the command before: the next one runs once it is written.
      const paced = this.pacedReplyDone();
      if (paced !== null) {
        if (next !== undefined) (this.#lines ??= []).unshift(next);
        this.#resumeAfter(paced);
        return;
      }
      const wasHeld = this.#held !== null;
      const raw = this.#held ?? next ?? this.#lines?.shift();
      this.#held = null;
      next = undefined;
      if (raw === undefined) {
        this.#lines = null;
        if (this.transport.paused) this.transport.resume();
        return;
      }
      if (!wasHeld) {
        const wait = this.fakelagDelay(raw);
        if (wait > 0) {
          this.#held = raw;
          this.#resumeAfter(new Promise((resolve) => setTimeout(resolve, wait)));
          return;
        }
      }
      const pending = this.runLine(raw);
      if (pending) {
        this.#resumeAfter(pending);
        return;
      }
    }
  }

  #resumeAfter(pending: Promise<unknown>): void {
    this.#busy = true;
    pending
      .catch((error: unknown) => this.commandFailed(error))
      .finally(() => {
        this.#busy = false;
        this.#pump();
      });
  }
}
