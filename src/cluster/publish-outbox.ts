import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { scheduleFlushFirst, type Flushable } from "../turn-end.js";

/**
 * Every PUBLISH of a node goes out at the end of the event-loop turn that made it, all of
 * the turn's in one write (a pipeline): under fan-out a node publishes each message once
 * per node that holds members, and one turn delivers many messages (a history commit, a
 * batch read from Redis). One write per PUBLISH cost the sending node a system call each,
 * and the receiving nodes a wake-up (and a socket write per member) each. Order is kept:
 * everything the node publishes goes through here, on one connection. It goes out before
 * the turn's writes to clients (turn-end.ts), so no client sees a change before the other
 * nodes could.
 */
export class PublishOutbox implements Flushable {
  /** PUBLISHes of this turn, in call order, not sent yet. */
  #pending: Array<readonly [channel: string, text: string]> = [];

  constructor(
    private readonly commands: Redis,
    private readonly log: Logger,
  ) {}

  queue(channel: string, text: string): void {
    this.#pending.push([channel, text]);
    if (this.#pending.length === 1) scheduleFlushFirst(this);
  }

  /** Sends what is queued now (at the end of the turn, and before a node says goodbye). */
  flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    const failed = (error: Error): void => this.log.debug({ err: error.message, messages: batch.length }, "cluster: publish failed");
    if (batch.length === 1) {
      const [channel, text] = batch[0]!;
      this.commands.publish(channel, text).catch(failed);
      return;
    }
    const pipeline = this.commands.pipeline();
    for (const [channel, text] of batch) pipeline.publish(channel, text);
    // A pipeline reports each command's failure in its results rather than rejecting.
    pipeline.exec().then((results) => {
      const error = results?.find(([err]) => err !== null)?.[0];
      if (error) failed(error);
    }, failed);
  }
}
