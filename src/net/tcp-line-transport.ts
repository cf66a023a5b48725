import type { Socket } from "node:net";
import { LineSplitter } from "./line-splitter.js";
import { WIRE, writeChunks, type LineTransport, type TransportSink } from "./line-transport.js";

/** Lines over a TCP (or TLS) socket, each ended by CR, LF or CRLF; written as they are. */
export class TcpLineTransport implements LineTransport {
  readonly wire = WIRE.lines;
  readonly kind: string;
  readonly whenClosed: Promise<void>;

  constructor(
    readonly socket: Socket,
    secure: boolean,
    /** Longest line accepted, terminator excluded. */
    private readonly maxLineBytes: number,
  ) {
    this.kind = secure ? "tls" : "tcp";
    this.whenClosed = new Promise((resolve) => socket.once("close", () => resolve()));
  }

  start(sink: TransportSink): void {
    const splitter = new LineSplitter(this.maxLineBytes, sink);
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => splitter.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => sink.closed(error.code === "ECONNRESET" ? "Connection reset by peer" : "Connection error"));
    socket.on("close", () => sink.closed("Connection closed"));
    // A peer that half-closes gets the rest of our output, then we close too.
    socket.on("end", () => sink.closed("Connection closed"));
  }

  encode(lines: Buffer): Buffer {
    return lines;
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  get writable(): boolean {
    return !this.socket.destroyed;
  }

  write(chunks: readonly Buffer[]): void {
    writeChunks(this.socket, chunks);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  get paused(): boolean {
    return this.socket.isPaused();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
