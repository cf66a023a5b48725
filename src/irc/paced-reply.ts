/**
 * How long a paced reply waits for the transport's 'drain' before it looks again: a socket
 * emits 'drain' only after a write filled its own buffer (16 KiB), which a small
 * irc.sendQueueBytes may never reach.
 */
const DRAIN_POLL_MS = 20;

/** What a paced reply writes to: one IRC connection's output. */
export interface PacedOutput {
  readonly closed: boolean;
  /** Bytes queued this turn plus what the transport has not handed to the kernel. */
  readonly unsentBytes: number;
  /** Writing pauses while unsentBytes would pass this (half of irc.sendQueueBytes). */
  readonly pacingBytes: number;
  /** Writes `text` (one or more CRLF-ended lines) past the pacing: it is known to fit. */
  writeNow(text: string): void;
  /** Hands what is queued this turn to the transport at once. */
  flushNow(): void;
  /** Calls `listener` once the transport drains; returns what cancels that. */
  whenDrained(listener: () => void): () => void;
}

/**
 * A connection's replies that may be far bigger than its send queue (LIST, NAMES, WHO,
 * CHATHISTORY): written line by line while what waits to be sent stays under a threshold,
 * then resumed when the transport drains (as InspIRCd paces LIST, which is what SAFELIST
 * promises). The client asked for them, so their size must never disconnect it; a client
 * that does not read simply stops getting more, its buffer bounded by the threshold, until
 * the ping timeout drops it.
 *
 * The lines come from iterables pulled only when there is room, so a huge LIST is never
 * held whole. Replies added while one is being paced follow it, in order.
 */
export class PacedReply {
  readonly #sources: Array<Iterator<string>> = [];
  /** The next item, pulled and not yet written for want of room. */
  #held: string | undefined;
  /** Bytes of lines added one by one (see addLine) while the reply waits: bounded by the send queue. */
  #backlogBytes = 0;
  #writing = false;
  #stopWaiting: (() => void) | null = null;
  #finished = false;
  #resolveDone: (() => void) | null = null;
  #done: Promise<void> | null = null;

  constructor(
    private readonly output: PacedOutput,
    private readonly onFinished: () => void,
  ) {}

  /** True while this reply writes (or pulls its next line): what is written then goes out at once, in order. */
  get writing(): boolean {
    return this.#writing;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Settles when everything added is written, or the connection closed. */
  get done(): Promise<void> {
    if (this.#finished) return Promise.resolve();
    return (this.#done ??= new Promise((resolve) => (this.#resolveDone = resolve)));
  }

  /** Adds `lines` after what is already to be written, and writes what fits now. */
  add(lines: Iterable<string>): void {
    this.#sources.push(lines[Symbol.iterator]());
    if (!this.#writing && this.#stopWaiting === null) this.#write();
  }

  /**
   * Adds one line written while the reply waits (a reply of the same command, an own event):
   * false when those pass `limitBytes`, so a client that does not read cannot grow them.
   */
  addLine(line: string, limitBytes: number): boolean {
    this.#backlogBytes += Buffer.byteLength(line);
    if (this.#backlogBytes > limitBytes) return false;
    this.add([line]);
    return true;
  }

  /** Ends the reply unwritten: the connection closed. */
  cancel(): void {
    this.#stopWaiting?.();
    this.#sources.length = 0;
    this.#held = undefined;
    this.#finish();
  }

  #write(): void {
    this.#writing = true;
    try {
      for (let next = this.#next(); next !== undefined; next = this.#next()) {
        if (this.output.closed) break;
        if (!this.#fits(next)) {
          this.output.flushNow();
          if (!this.#fits(next)) {
            this.#held = next;
            this.#waitForDrain();
            return;
          }
        }
        this.output.writeNow(next);
      }
    } finally {
      this.#writing = false;
    }
    this.#finish();
  }

  /** The next item to write, pulled from the first source that has one; undefined when all are written. */
  #next(): string | undefined {
    if (this.#held !== undefined) {
      const held = this.#held;
      this.#held = undefined;
      return held;
    }
    while (this.#sources.length > 0) {
      const step = this.#sources[0]!.next();
      if (step.done !== true) return step.value;
      this.#sources.shift();
    }
    this.#backlogBytes = 0;
    return undefined;
  }

  /** An item fits while nothing waits (one line over the threshold still goes) or it stays under the threshold. */
  #fits(text: string): boolean {
    const unsent = this.output.unsentBytes;
    return unsent === 0 || unsent + Buffer.byteLength(text) <= this.output.pacingBytes;
  }

  #waitForDrain(): void {
    let cancelDrain: (() => void) | null = null;
    const timer = setTimeout(() => resume(), DRAIN_POLL_MS);
    const stop = (): void => {
      clearTimeout(timer);
      cancelDrain?.();
      this.#stopWaiting = null;
    };
    const resume = (): void => {
      if (this.#stopWaiting !== stop) return;
      stop();
      if (this.output.closed) this.cancel();
      else this.#write();
    };
    this.#stopWaiting = stop;
    cancelDrain = this.output.whenDrained(resume);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.onFinished();
    this.#resolveDone?.();
  }
}
