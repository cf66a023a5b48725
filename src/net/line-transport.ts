/**
 * A connection that carries lines of a line-based protocol (IRC): a TCP or TLS socket
 * framed by CR/LF, or a WebSocket carrying one line per message. The protocol's
 * connection object sees lines in and bytes out and never which of them it has.
 */
import type { Writable } from "node:stream";

/**
 * What a transport reports to the connection it serves. The connection implements it
 * itself (no object of callbacks per connection).
 */
export interface TransportSink {
  /** One received line without its terminator; never empty, never over the limit. */
  receiveLine(bytes: Buffer): void;
  /** A line over the limit arrived and was dropped. */
  receiveOverflow(): void;
  /** A message that cannot be one line arrived (WebSocket: CR or LF inside) and was dropped. */
  receiveMalformed(): void;
  /** The peer went away or the connection failed; `reason` is what others are told. */
  transportClosed(reason: string): void;
}

/**
 * How lines look on the wire, as a small number: fan-out caches the encoded bytes of
 * an event per wire format, so every recipient of one format gets the same buffer.
 */
export const WIRE = { lines: 0, websocketText: 1, websocketBinary: 2 } as const;
export type WireFormat = (typeof WIRE)[keyof typeof WIRE];
export const WIRE_FORMAT_COUNT = 3;

/** Turns lines, each ended by CRLF, into wire bytes. */
export interface LineEncoder {
  readonly wire: WireFormat;
  /** The same bytes for `lines` whoever the recipient: no per-connection state goes in. */
  encode(lines: Buffer): Buffer;
}

export interface LineTransport extends LineEncoder {
  /** For logs: "tcp", "tls" or "websocket". */
  readonly kind: string;
  /** Starts reading; everything received from now on goes to `sink`. */
  start(sink: TransportSink): void;
  /** Bytes written and not yet taken by the kernel: counted against the send queue. */
  readonly pendingBytes: number;
  /**
   * Calls `listener` once when what was written has been taken by the kernel after a write
   * that filled the stream's buffer (its 'drain'); returns what cancels that. Paced replies
   * (irc/paced-reply.ts) wait for it.
   */
  whenDrained(listener: () => void): () => void;
  /** False once writes can no longer reach the peer. */
  readonly writable: boolean;
  /**
   * Writes buffers made by `encode`, in order, in one system call where it can. They are
   * handed over as they are, never copied: the same bytes go to every recipient of a
   * fan-out, and a copy per connection would multiply the memory by the recipients.
   */
  write(chunks: readonly Buffer[]): void;
  /** Stops reading (back-pressure on a client that sends faster than its commands run). */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Closes after what was written; `goingAway` when the whole server is stopping. */
  end(goingAway: boolean): void;
  /** Cuts the connection at once. */
  destroy(): void;
  /** Settles when the connection is fully closed (made when asked: nobody waits for it before a shutdown). */
  readonly whenClosed: Promise<void>;
}

/**
 * Writes `chunks` to `stream` in one system call. While the peer keeps up (nothing
 * waiting in the stream), they are joined into one buffer: one write through the
 * stream machinery is cheaper than one per chunk, and the joined copy lives only
 * until the kernel takes it. Once the peer falls behind, what is written waits in
 * the stream, so the chunks go as they are (cork, write each, uncork: one writev):
 * the same fan-out buffers are then shared by every slow recipient, not copied per
 * connection, which kept memory within the send queue's bound (test/faults/rss-bounds).
 */
export function writeChunks(stream: Writable, chunks: readonly Buffer[]): void {
  if (chunks.length === 1) {
    stream.write(chunks[0]!);
    return;
  }
  if (stream.writableLength === 0) {
    stream.write(Buffer.concat(chunks));
    return;
  }
  stream.cork();
  for (const chunk of chunks) stream.write(chunk);
  stream.uncork();
}
