/**
 * Our own flood control, the server's default fakelag (irc.flood: burst 8, then 2 lines/s):
 * lines beyond it would wait in the server's queue, and a long enough queue is cut for
 * Excess Flood. Lines wait here instead, where the user's own go first.
 */
export const SEND_BURST_LINES = 8;
export const SEND_LINES_PER_SECOND = 2;

/** How a registered line is sent (IrcClient.send). */
export interface SendOptions {
  /** Sync work nobody waits for (history of conversations not on screen, presence): after the user's lines. */
  readonly background?: boolean;
  /** Not counted against the pace: a line of a draft/multiline batch (the server bills the batch as a whole). */
  readonly unpaced?: boolean;
  /** Called when the line is actually written (it may wait in the send queue first). */
  readonly onWritten?: () => void;
}

interface QueuedLine {
  readonly line: string;
  readonly options: SendOptions;
}

/**
 * The send queue of one IrcClient: registered lines written at the pace above (a token
 * bucket), the user's before background sync.
 */
export class SendPacer {
  /** Registered lines waiting for their turn: the user's first, then background sync. */
  #urgentLines: QueuedLine[] = [];
  #backgroundLines: QueuedLine[] = [];
  /** Lines that may be written now (a token bucket refilled at SEND_LINES_PER_SECOND). */
  #sendTokens = SEND_BURST_LINES;
  #tokensAt = 0;
  #pumpTimer: ReturnType<typeof setTimeout> | null = null;

  /** `write` sends a line on the connection, or returns false when it is not open. */
  constructor(private readonly write: (line: string) => boolean) {}

  /** Queues `line` and writes what the pace allows now. */
  push(line: string, options: SendOptions): void {
    (options.background ? this.#backgroundLines : this.#urgentLines).push({ line, options });
    this.#pump();
  }

  /** Lines waiting in the send queue. */
  get queuedLines(): number {
    return this.#urgentLines.length + this.#backgroundLines.length;
  }

  /** Starts again with a full burst. */
  restart(): void {
    this.#sendTokens = SEND_BURST_LINES;
    this.#tokensAt = Date.now();
  }

  /** Drops every line waiting (the connection they were for is gone). */
  clear(): void {
    this.#urgentLines = [];
    this.#backgroundLines = [];
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.#pumpTimer = null;
  }

  /** Writes what the pace allows now, and comes back when the next token is due. */
  #pump(): void {
    if (this.#pumpTimer) return;
    const now = Date.now();
    this.#sendTokens = Math.min(SEND_BURST_LINES, this.#sendTokens + ((now - this.#tokensAt) / 1000) * SEND_LINES_PER_SECOND);
    this.#tokensAt = now;
    for (;;) {
      const queue = this.#urgentLines.length > 0 ? this.#urgentLines : this.#backgroundLines;
      const next = queue[0];
      if (!next) return;
      const cost = next.options.unpaced ? 0 : 1;
      if (this.#sendTokens < cost) break;
      queue.shift();
      this.#sendTokens -= cost;
      if (!this.write(next.line)) return this.clear();
      next.options.onWritten?.();
    }
    const wait = Math.ceil(((1 - this.#sendTokens) / SEND_LINES_PER_SECOND) * 1000);
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = null;
      this.#pump();
    }, wait);
  }
}
