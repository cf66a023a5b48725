import type { LineTransport } from "../net/line-transport.js";
import { scheduleFlush, type Flushable } from "./output-scheduler.js";

/**
 * What one IRC connection has to write: bytes queued during a turn of the event loop
 * and written in one go at its end (output-scheduler.ts), bounded by the send queue
 * (irc.sendQueueBytes) together with what the transport has not yet handed to the kernel.
 */
export class SendQueue implements Flushable {
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(
    private readonly transport: LineTransport,
    /** Told each time the bound is passed (the queue is gone by then); the connection quits. */
    private readonly exceeded: () => void,
  ) {}

  /**
   * Queues bytes in the transport's wire format until the end of this loop turn. Past
   * `limitBytes`, a client that stops reading must not grow our memory: what is queued
   * is dropped, the transport destroyed, and `exceeded` told.
   */
  push(bytes: Buffer, limitBytes: number): void {
    if (this.transport.pendingBytes + this.#bytes + bytes.length > limitBytes) {
      this.#chunks = [];
      this.#bytes = 0;
      this.transport.destroy();
      this.exceeded();
      return;
    }
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
    if (this.#chunks.length === 1) scheduleFlush(this);
  }

  /** Writes everything queued in one go (called at the end of the turn, and before a close). */
  flush(): void {
    if (this.#chunks.length === 0 || !this.transport.writable) return;
    // The buffers as queued, not concatenated here: most are shared by every recipient of a message.
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#bytes = 0;
    this.transport.write(chunks);
  }
}
