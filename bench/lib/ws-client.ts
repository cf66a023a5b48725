/**
 * A raw IRC-over-WebSocket client for load generation (IRCv3 WebSocket, text
 * frames): the HTTP upgrade by hand over one TCP socket, no WebSocket library,
 * so 2,000 of them in one process cost about what 2,000 raw TCP clients cost.
 * Everything but the framing is shared with the TCP client (load-client.ts).
 *
 * While setting up it decodes every frame into a line. While measuring it walks
 * the frame headers only to find where complete frames end and to spot PINGs, and
 * scans the complete part for the benchmark marker with one native `indexOf`,
 * exactly as the TCP client does: a server frame is never masked, so each line's
 * text lies in the stream as it is, only separated by 2-byte headers instead of CRLF.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { LoadClient, whenReady, type OpenOptions } from "./load-client.js";

const PING = Buffer.from("PING ");
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;

/** A client frame: masked, as RFC 6455 requires of clients. */
function maskedFrame(payload: Buffer, opcode = 0x1): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 0x10000) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const key = (Math.random() * 0x100000000) >>> 0;
  frame.writeUInt32BE(key, header);
  const k = [key >>> 24, (key >>> 16) & 0xff, (key >>> 8) & 0xff, key & 0xff];
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ k[i & 3]!;
  return frame;
}

export class BenchWsClient extends LoadClient {
  private constructor(options: OpenOptions, socket: net.Socket) {
    super(options.index, options.nick, socket, options.hub);
  }

  /** Connects to /ws on the HTTP listener (options.port) and completes the handshake (subprotocol text.ircv3.net). */
  static async connect(options: OpenOptions): Promise<BenchWsClient> {
    const socket = net.connect({ host: options.host, port: options.port });
    const client = new BenchWsClient(options, socket);
    const key = randomBytes(16).toString("base64");
    const accept = createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
    await whenReady(socket, options.timeoutMs, "websocket handshake", (done) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        socket.off("data", onData);
        const response = head.toString("latin1", 0, end);
        if (!response.startsWith("HTTP/1.1 101") || !response.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
          done(new Error(`websocket upgrade refused: ${response.split("\r\n")[0]}`));
          return;
        }
        // Frames only from here on: whatever came with the 101 is the first of them.
        socket.on("data", (data: Buffer) => client.receive(data));
        if (end + 4 < head.length) client.receive(head.subarray(end + 4));
        done();
      };
      socket.on("data", onData);
      socket.once("connect", () =>
        socket.write(
          `GET /ws HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n`,
        ),
      );
    });
    return client;
  }

  /** Connects and registers (NICK/USER), resolving at RPL_WELCOME (001). */
  static async open(options: OpenOptions): Promise<BenchWsClient> {
    const client = await BenchWsClient.connect(options);
    await client.register("bench websocket client", options.timeoutMs);
    return client;
  }

  /** Sends CRLF-separated lines, one masked frame each, in one socket write. */
  send(data: string): void {
    if (this.closed) return;
    const frames: Buffer[] = [];
    let start = 0;
    while (start < data.length) {
      let end = data.indexOf("\r\n", start);
      if (end === -1) end = data.length;
      if (end > start) frames.push(maskedFrame(Buffer.from(data.slice(start, end), "utf8")));
      start = end + 2;
    }
    if (frames.length > 0) this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  /** Complete frames end where the walk over their headers stops. */
  protected consume(data: Buffer): number {
    let pos = 0;
    let pings: number[] | null = null;
    const lines: string[] | null = this.measuring ? null : [];
    for (;;) {
      if (pos + 2 > data.length) break;
      const opcode = data[pos]! & 0x0f;
      let length = data[pos + 1]! & 0x7f;
      let header = 2;
      if (length === 126) {
        if (pos + 4 > data.length) break;
        length = data.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (pos + 10 > data.length) break;
        length = Number(data.readBigUInt64BE(pos + 2));
        header = 10;
      }
      const start = pos + header;
      const end = start + length;
      if (end > data.length) break;
      if (opcode === OPCODE_CLOSE) {
        this.closeReason ||= `close frame ${length >= 2 ? data.readUInt16BE(start) : ""}`;
      } else if (opcode === OPCODE_PING) {
        this.socket.write(maskedFrame(Buffer.from(data.subarray(start, end)), 0xa));
      } else if (lines) {
        lines.push(data.toString("latin1", start, end));
      } else if (data[start] === 0x50 && data.subarray(start, start + PING.length).equals(PING)) {
        (pings ??= []).push(start, end);
      }
      pos = end;
    }
    if (lines) {
      for (const line of lines) this.line(line);
      return pos;
    }
    this.hub.measuredReads++;
    this.scanMarks(data, pos);
    if (pings) for (let i = 0; i < pings.length; i += 2) this.send(`PONG ${data.toString("latin1", pings[i]! + PING.length, pings[i + 1]!)}\r\n`);
    return pos;
  }
}
