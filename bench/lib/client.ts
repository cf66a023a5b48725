/**
 * A raw IRC client for load generation: one TCP socket, no client library.
 *
 * Two modes keep the generator cheap. While setting up (registration, JOIN) it
 * splits lines and lets callers wait for numerics. While measuring it never
 * splits lines: it scans each chunk for the benchmark marker (" :%%") and parses
 * only the three numbers after it; everything else (JOINs of others, numerics)
 * is skipped, except PING, which is answered.
 */
import net, { type Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** What precedes the text of every benchmark message as a client receives it: ` :%%sid seq sentMicros …`. */
export const MARK_TEXT = "%%";
const MARK = Buffer.from(` :${MARK_TEXT}`);
const PING = Buffer.from("PING ");
const LF = 0x0a;
const CR = 0x0d;

/** What the traffic generator needs of a client, over TCP (BenchClient) or WebSocket (ws-client.ts). */
export interface BenchPeer {
  readonly index: number;
  readonly nick: string;
  /** Sends CRLF-terminated IRC lines. */
  send(data: string): void;
}

/** Called for each benchmark message received: sender id, sequence number, send time and receive time (µs). */
export type MarkHandler = (receiver: BenchPeer, sid: number, seq: number, sentMicros: number, nowMicros: number) => void;

/** State shared by all clients of one scenario. */
export class Hub {
  /** performance.now() of the last byte received by any client. */
  lastReceive = 0;
  bytesReceived = 0;
  /** Socket reads (data events) in measuring mode: deliveries per read shows how well the server batches writes. */
  measuredReads = 0;
  closes = 0;
  readonly errors = new Map<string, number>();
  onMark: MarkHandler = () => {};

  noteError(reason: string): void {
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }
}

/** Microseconds on the generator's monotonic clock; the same clock stamps and receives messages. */
export function nowMicros(): number {
  return Math.round(performance.now() * 1000);
}

interface Waiter {
  test(line: string): boolean;
  resolve(line: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface OpenOptions {
  readonly host: string;
  readonly port: number;
  readonly index: number;
  readonly nick: string;
  readonly hub: Hub;
  readonly timeoutMs: number;
}

/** The command or numeric of a server line: ":server 001 nick ..." → "001". */
export function numericOf(line: string): string {
  // ":server 001 nick ..." → "001"
  const first = line.indexOf(" ");
  if (first === -1) return "";
  const second = line.indexOf(" ", first + 1);
  return line.slice(first + 1, second === -1 ? undefined : second);
}

export class BenchClient implements BenchPeer {
  /** Measuring mode: scan for benchmark messages only. */
  measuring = false;
  closed = false;
  closeReason = "";
  #tail: Buffer | null = null;
  #waiters: Waiter[] = [];

  private constructor(
    readonly index: number,
    readonly nick: string,
    readonly socket: Socket,
    readonly hub: Hub,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
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

  /** Connects without registering: the caller speaks first (CAP, AUTHENTICATE, NICK/USER ...). */
  static async connect(options: OpenOptions): Promise<BenchClient> {
    const socket = net.connect({ host: options.host, port: options.port });
    const client = new BenchClient(options.index, options.nick, socket, options.hub);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error("connect timed out"));
      }, options.timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`connect failed: ${error.code ?? error.message}`));
      });
    });
    return client;
  }

  /** Connects and registers (NICK/USER), resolving at RPL_WELCOME (001). */
  static async open(options: OpenOptions): Promise<BenchClient> {
    const client = await BenchClient.connect(options);
    client.socket.write(`NICK ${options.nick}\r\nUSER ${options.nick} 0 * :bench client\r\n`);
    const reply = await client.waitFor(
      (line) => {
        const code = numericOf(line);
        return code === "001" || code === "432" || code === "433" || line.startsWith("ERROR");
      },
      options.timeoutMs,
      "registration",
    );
    if (numericOf(reply) !== "001") {
      client.destroy();
      throw new Error(`registration refused: ${reply}`);
    }
    return client;
  }

  /** Joins a channel, resolving at RPL_ENDOFNAMES (366); rejects on an error numeric. */
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

  send(data: string): void {
    if (!this.closed) this.socket.write(data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits for a line (setup mode only) that passes `test`. */
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
    const hub = this.hub;
    hub.lastReceive = performance.now();
    hub.bytesReceived += chunk.length;
    let data = chunk;
    if (this.#tail) {
      data = Buffer.concat([this.#tail, chunk]);
      this.#tail = null;
    }
    const end = data.lastIndexOf(LF);
    if (end === -1) {
      this.#tail = Buffer.from(data);
      return;
    }
    // Copy the incomplete last line so the (large) chunk is not kept alive by it.
    if (end < data.length - 1) this.#tail = Buffer.from(data.subarray(end + 1));
    if (this.measuring) {
      hub.measuredReads++;
      this.#scan(data, end);
    }
    else this.#lines(data.toString("latin1", 0, end + 1));
  }

  /** Measuring mode: find benchmark messages and PINGs in the complete lines data[0..end]. */
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
    let ping = data.indexOf(PING);
    while (ping !== -1 && ping < end) {
      if (ping === 0 || data[ping - 1] === LF) {
        let stop = ping;
        while (stop < end && data[stop] !== CR && data[stop] !== LF) stop++;
        this.send(`PONG ${data.toString("latin1", ping + PING.length, stop)}\r\n`);
      }
      ping = data.indexOf(PING, ping + 1);
    }
  }

  /** Setup mode: every line, for PING and the waiters. */
  #lines(text: string): void {
    let start = 0;
    while (start < text.length) {
      let stop = text.indexOf("\n", start);
      if (stop === -1) stop = text.length;
      const line = text.charCodeAt(stop - 1) === CR ? text.slice(start, stop - 1) : text.slice(start, stop);
      start = stop + 1;
      if (line.length === 0) continue;
      if (line.startsWith("PING ")) {
        this.send(`PONG ${line.slice(5)}\r\n`);
        continue;
      }
      if (line.startsWith("ERROR")) this.closeReason = line;
      if (this.#waiters.length === 0) continue;
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
