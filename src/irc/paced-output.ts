import type { LineTransport } from "../net/line-transport.js";
import type { PacedOutput } from "./paced-reply.js";
import type { SendQueue } from "./send-queue.js";

/** What a paced reply needs of the connection it answers (IrcConnection fits). */
export interface PacedConnection {
  readonly closed: boolean;
  readonly transport: LineTransport;
  /** Read at each use: a reload replaces the configuration. */
  readonly context: { readonly config: { readonly irc: { readonly sendQueueBytes: number } } };
}

/**
 * One IRC connection's output as a paced reply (paced-reply.ts) writes to it: through
 * the connection's send queue, paced against half of it. Made for each paced reply.
 */
export class ConnectionPacedOutput implements PacedOutput {
  constructor(
    private readonly connection: PacedConnection,
    private readonly queue: SendQueue,
    /** The connection's own write: lines ended by CRLF, into the send queue in the transport's wire format. */
    private readonly write: (lines: Buffer) => void,
  ) {}

  get closed(): boolean {
    return this.connection.closed;
  }

  get unsentBytes(): number {
    return this.queue.unsentBytes;
  }

  get pacingBytes(): number {
    // Half the send queue: room left for events from others while the reply waits.
    return Math.floor(this.connection.context.config.irc.sendQueueBytes / 2);
  }

  writeNow(text: string): void {
    this.write(Buffer.from(text));
  }

  flushNow(): void {
    this.queue.flush();
  }

  whenDrained(listener: () => void): () => void {
    return this.connection.transport.whenDrained(listener);
  }
}

/** The CRLF-ended lines of `text`, one at a time. */
export function* eachLine(text: string): Generator<string> {
  let start = 0;
  for (let end = text.indexOf("\r\n"); end !== -1; end = text.indexOf("\r\n", start)) {
    yield text.slice(start, end + 2);
    start = end + 2;
  }
  if (start < text.length) yield text.slice(start);
}
