import type { Socket } from "node:net";
import { LineSplitter, type LineSink } from "./line-splitter.js";
import { WIRE, writeChunks, type LineTransport, type TransportSink } from "./line-transport.js";

/** The transport a socket serves, found by the shared socket listeners below. */
const TRANSPORT = Symbol("line transport");

type OwnedSocket = Socket & { [TRANSPORT]: TcpLineTransport };

/**
 * Lines over a TCP (or TLS) socket, each ended by CR, LF or CRLF; written as they are.
 *
 * With 10,000 idle clients every per-connection closure counts, so the socket's
 * listeners are functions shared by all transports (they find theirs through the
 * socket), the transport is its splitter's sink, and `whenClosed` is only made
 * when someone waits for it (a server stopping).
 */
export class TcpLineTransport implements LineTransport, LineSink {
  readonly wire = WIRE.lines;
  readonly kind: string;
  #sink: TransportSink | null = null;
  #splitter: LineSplitter | null = null;

  constructor(
    readonly socket: Socket,
    secure: boolean,
    /** Longest line accepted, terminator excluded. */
    private readonly maxLineBytes: number,
  ) {
    this.kind = secure ? "tls" : "tcp";
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    this.#splitter = new LineSplitter(this.maxLineBytes, this);
    const socket = this.socket as OwnedSocket;
    socket[TRANSPORT] = this;
    socket.setNoDelay(true);
    socket.on("data", TcpLineTransport.#onData);
    socket.on("error", TcpLineTransport.#onError);
    socket.on("close", TcpLineTransport.#onClose);
    // A peer that half-closes gets the rest of our output, then we close too.
    socket.on("end", TcpLineTransport.#onClose);
  }

  static #onData(this: OwnedSocket, chunk: Buffer): void {
    this[TRANSPORT].#splitter!.push(chunk);
  }

  static #onError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
    this[TRANSPORT].#sink!.transportClosed(error.code === "ECONNRESET" ? "Connection reset by peer" : "Connection error");
  }

  static #onClose(this: OwnedSocket): void {
    this[TRANSPORT].#sink!.transportClosed("Connection closed");
  }

  /** From the splitter (LineSink). */
  line(bytes: Buffer): void {
    this.#sink!.receiveLine(bytes);
  }

  /** From the splitter (LineSink). */
  overflow(): void {
    this.#sink!.receiveOverflow();
  }

  get whenClosed(): Promise<void> {
    const socket = this.socket;
    return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once("close", () => resolve()));
  }

  encode(lines: Buffer): Buffer {
    return lines;
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  whenDrained(listener: () => void): () => void {
    const socket = this.socket;
    socket.once("drain", listener);
    return () => socket.off("drain", listener);
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
