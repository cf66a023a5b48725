import type { LineTransport } from "../net/line-transport.js";
import { scheduleFlush, type Flushable } from "../turn-end.js";

/**
 * What one IRC connection has to write: bytes queued during a turn of the event loop
 * and written in one go at its end (turn-end.ts), bounded by the send queue
 * (irc.sendQueueBytes) together with what the transport has not yet handed to the kernel.
 */
export class SendQueue implements Flushable {
  /** Null between turns: an idle connection holds no array. */
  #chunks: Buffer[] | null = null;
  #bytes = 0;

  constructor(private readonly transport: LineTransport) {}

  /** Bytes queued this turn and what the transport has not yet handed to the kernel. */
  get unsentBytes(): number {
    return this.transport.pendingBytes + this.#bytes;
  }

  /**
   * Queues bytes in the transport's wire format until the end of this loop turn. Past
   * `limitBytes`, a client that stops reading must not grow our memory: what is queued
   * is dropped, the transport destroyed, and false returned (the connection quits).
   */
  push(bytes: Buffer, limitBytes: number): boolean {
    if (this.transport.pendingBytes + this.#bytes + bytes.length > limitBytes) {
      this.#chunks = null;
      this.#bytes = 0;
      this.transport.destroy();
      return false;
    }
    this.#bytes += bytes.length;
    if (this.#chunks === null) {
      this.#chunks = [bytes];
      scheduleFlush(this);
    } else this.#chunks.push(bytes);
    return true;
  }

  /** Writes everything queued in one go (called at the end of the turn, and before a close). */
  flush(): void {
    const chunks = this.#chunks;
    if (chunks === null || !this.transport.writable) return;
    // The buffers as queued, not concatenated here: most are shared by every recipient of a message.
    this.#chunks = null;
    this.#bytes = 0;
    this.transport.write(chunks);
  }
}
