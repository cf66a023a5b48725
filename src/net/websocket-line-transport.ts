import type { Duplex } from "node:stream";
import { WebSocket } from "ws";
import { WIRE, writeChunks, type LineTransport, type TransportSink } from "./line-transport.js";
import { frameLines, OPCODE_BINARY, OPCODE_TEXT } from "./websocket-frames.js";

const LF = 0x0a;
const CR = 0x0d;

/** The IRCv3 WebSocket subprotocols; binary carries any bytes, text only UTF-8. */
export const SUBPROTOCOL_TEXT = "text.ircv3.net";
export const SUBPROTOCOL_BINARY = "binary.ircv3.net";

/** Close codes of RFC 6455 §7.4.1. */
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;

/**
 * One IRC line per WebSocket message (IRCv3 WebSocket): text frames, or binary frames
 * when `binary.ircv3.net` was agreed on. The `ws` library does the handshake, reads
 * and unmasks frames, and answers pings and closes; our lines are written as frames
 * made once per event (see frameLines) straight to the upgraded socket, so a fan-out
 * to WebSockets costs what it costs to TCP sockets: one write per socket per turn.
 */
export class WebSocketLineTransport implements LineTransport {
  readonly kind = "websocket";
  readonly wire: typeof WIRE.websocketText | typeof WIRE.websocketBinary;
  readonly #opcode: typeof OPCODE_TEXT | typeof OPCODE_BINARY;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded socket `ws` was given: frames are written to it directly. */
    private readonly socket: Duplex,
    binary: boolean,
    /** Longest line accepted, without CRLF. */
    private readonly maxLineBytes: number,
  ) {
    this.wire = binary ? WIRE.websocketBinary : WIRE.websocketText;
    this.#opcode = binary ? OPCODE_BINARY : OPCODE_TEXT;
  }

  get whenClosed(): Promise<void> {
    const ws = this.ws;
    return new Promise((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once("close", () => resolve())));
  }

  start(sink: TransportSink): void {
    // Text or binary, whatever was agreed: the spec's advice for tolerant servers. Text
    // frames were checked for UTF-8 by `ws`; binary ones are checked like TCP lines.
    this.ws.on("message", (data: Buffer) => this.#receive(data, sink));
    // `ws` reports protocol errors (a frame over maxPayload, bad UTF-8 in a text frame)
    // and closes with the matching code; the close event follows.
    this.ws.on("error", () => sink.transportClosed("Connection error"));
    this.ws.on("close", () => sink.transportClosed("Connection closed"));
  }

  #receive(data: Buffer, sink: TransportSink): void {
    // A trailing CRLF (or LF) is not allowed by the spec, but harmless: tolerated.
    let end = data.length;
    if (end > 0 && data[end - 1] === LF) end--;
    if (end > 0 && data[end - 1] === CR) end--;
    if (end === 0) return;
    if (end > this.maxLineBytes) {
      sink.receiveOverflow();
      return;
    }
    const line = end === data.length ? data : data.subarray(0, end);
    // A line break inside would let one message smuggle a second command past the
    // per-message checks (or split a relayed line): refused as a whole.
    if (line.indexOf(LF) !== -1 || line.indexOf(CR) !== -1) {
      sink.receiveMalformed();
      return;
    }
    sink.receiveLine(line);
  }

  encode(lines: Buffer): Buffer {
    return frameLines(lines, this.#opcode);
  }

  get pendingBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** After a close frame went either way, no data frame may follow. */
  whenDrained(listener: () => void): () => void {
    const socket = this.socket;
    socket.once("drain", listener);
    return () => socket.off("drain", listener);
  }

  get writable(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  write(chunks: readonly Buffer[]): void {
    if (this.ws.readyState === WebSocket.OPEN) writeChunks(this.socket, chunks);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  get paused(): boolean {
    return this.ws.isPaused;
  }

  end(goingAway: boolean): void {
    // `ws` waits (bounded) for the client's close frame, then closes the socket.
    this.ws.close(goingAway ? CLOSE_GOING_AWAY : CLOSE_NORMAL);
  }

  destroy(): void {
    this.ws.terminate();
  }
}
