/**
 * A raw IRC-over-WebSocket client for load generation (IRCv3 WebSocket, text
 * frames): the HTTP upgrade by hand over one TCP socket, no WebSocket library,
 * so 2,000 of them in one process cost about what 2,000 raw TCP clients cost.
 *
 * Like BenchClient it has two modes. While setting up it decodes every frame
 * into a line (PING answered, waiters served). While measuring it walks the frame
 * headers only to find where complete frames end and to spot PINGs, and scans the
 * complete part for the benchmark marker with one native `indexOf`, exactly as the
 * TCP client does: a server frame is never masked, so each line's text lies in
 * the stream as it is, only separated by 2-byte headers instead of CRLF.
 */
import { createHash, randomBytes } from "node:crypto";
import net, { type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { Hub, MARK_TEXT, nowMicros, numericOf, type BenchPeer } from "./client.js";

const MARK = Buffer.from(` :${MARK_TEXT}`);
const PING = Buffer.from("PING ");
const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;

interface Waiter {
  test(line: string): boolean;
  resolve(line: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface WsOpenOptions {
  readonly host: string;
  /** The HTTP listener's port; the endpoint is /ws. */
  readonly port: number;
  readonly index: number;
  readonly nick: string;
  readonly hub: Hub;
  readonly timeoutMs: number;
}

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

export class BenchWsClient implements BenchPeer {
  measuring = false;
  closed = false;
  closeReason = "";
  #tail: Buffer | null = null;
  #waiters: Waiter[] = [];
  #upgraded = false;

  private constructor(
    readonly index: number,
    readonly nick: string,
    readonly socket: Socket,
    readonly hub: Hub,
  ) {
    socket.setNoDelay(true);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (!this.closeReason) this.closeReason = error.code ?? error.message;
    });
    socket.on("close", () => {
      this.closed = true;
      hub.closes++;
      if (!this.closeReason) this.closeReason = "closed by server";
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${this.nick}: connection closed (${this.closeReason})`));
      }
    });
  }

  /** Connects and completes the WebSocket handshake (subprotocol text.ircv3.net). */
  static async connect(options: WsOpenOptions): Promise<BenchWsClient> {
    const socket = net.connect({ host: options.host, port: options.port });
    const client = new BenchWsClient(options.index, options.nick, socket, options.hub);
    const key = randomBytes(16).toString("base64");
    const accept = createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error("websocket handshake timed out"));
      }, options.timeoutMs);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        socket.off("data", onData);
        clearTimeout(timer);
        const response = head.toString("latin1", 0, end);
        if (!response.startsWith("HTTP/1.1 101") || !response.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
          socket.destroy();
          reject(new Error(`websocket upgrade refused: ${response.split("\r\n")[0]}`));
          return;
        }
        client.#upgraded = true;
        socket.on("data", (data: Buffer) => client.#onData(data));
        if (end + 4 < head.length) client.#onData(head.subarray(end + 4));
        resolve();
      };
      socket.on("data", onData);
      socket.once("connect", () =>
        socket.write(
          `GET /ws HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n\r\n`,
        ),
      );
      socket.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`connect failed: ${error.code ?? error.message}`));
      });
    });
    return client;
  }

  /** Connects and registers (NICK/USER), resolving at RPL_WELCOME (001). */
  static async open(options: WsOpenOptions): Promise<BenchWsClient> {
    const client = await BenchWsClient.connect(options);
    client.send(`NICK ${options.nick}\r\nUSER ${options.nick} 0 * :bench websocket client\r\n`);
    const reply = await client.waitFor((line) => ["001", "432", "433"].includes(numericOf(line)) || line.startsWith("ERROR"), options.timeoutMs, "registration");
    if (numericOf(reply) !== "001") {
      client.destroy();
      throw new Error(`registration refused: ${reply}`);
    }
    return client;
  }

  async join(channel: string, timeoutMs: number): Promise<void> {
    const lower = channel.toLowerCase();
    this.send(`JOIN ${channel}\r\n`);
    const reply = await this.waitFor(
      (line) => {
        const code = numericOf(line);
        if (code === "366") return line.toLowerCase().includes(` ${lower} `);
        return code.length === 3 && code.startsWith("4") && line.toLowerCase().includes(lower);
      },
      timeoutMs,
      `JOIN ${channel}`,
    );
    if (numericOf(reply) !== "366") throw new Error(`${this.nick}: JOIN refused: ${reply}`);
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

  destroy(): void {
    this.socket.destroy();
  }

  waitFor(test: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    if (this.closed) return Promise.reject(new Error(`${this.nick}: connection closed (${this.closeReason})`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error(`${this.nick}: timed out waiting for ${what}`));
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  #onData(chunk: Buffer): void {
    if (!this.#upgraded) return;
    const hub = this.hub;
    hub.lastReceive = performance.now();
    hub.bytesReceived += chunk.length;
    let data = chunk;
    if (this.#tail) {
      data = Buffer.concat([this.#tail, chunk]);
      this.#tail = null;
    }
    // Walk the headers to the end of the last complete frame.
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
    if (pos < data.length) this.#tail = Buffer.from(data.subarray(pos));
    if (lines) {
      this.#lines(lines);
      return;
    }
    hub.measuredReads++;
    this.#scan(data, pos);
    if (pings) for (let i = 0; i < pings.length; i += 2) this.send(`PONG ${data.toString("latin1", pings[i]! + PING.length, pings[i + 1]!)}\r\n`);
  }

  /** Measuring mode: the benchmark messages in data[0..end]. */
  #scan(data: Buffer, end: number): void {
    const now = nowMicros();
    const onMark = this.hub.onMark;
    let pos = data.indexOf(MARK);
    while (pos !== -1 && pos < end) {
      let i = pos + MARK.length;
      let c = data[i] ?? 0;
      let sid = 0;
      while (c >= 48 && c <= 57) {
        sid = sid * 10 + c - 48;
        c = data[++i] ?? 0;
      }
      c = data[++i] ?? 0;
      let seq = 0;
      while (c >= 48 && c <= 57) {
        seq = seq * 10 + c - 48;
        c = data[++i] ?? 0;
      }
      c = data[++i] ?? 0;
      let sent = 0;
      while (c >= 48 && c <= 57) {
        sent = sent * 10 + c - 48;
        c = data[++i] ?? 0;
      }
      onMark(this, sid, seq, sent, now);
      pos = data.indexOf(MARK, i);
    }
  }

  #lines(lines: readonly string[]): void {
    for (const line of lines) {
      if (line.startsWith("PING ")) {
        this.send(`PONG ${line.slice(5)}\r\n`);
        continue;
      }
      if (line.startsWith("ERROR")) this.closeReason = line;
      for (const waiter of this.#waiters) {
        if (!waiter.test(line)) continue;
        clearTimeout(waiter.timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(line);
        break;
      }
    }
  }
}
