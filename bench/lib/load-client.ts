/**
 * What every raw IRC load client shares, whatever carries its lines: the scenario
 * state (Hub), registration and JOIN, waiting for lines, the handling of a line
 * in setup mode, and the scan for benchmark messages in measuring mode. A
 * transport (client.ts: CRLF lines over TCP; ws-client.ts: one line per
 * WebSocket frame) only connects, frames what it sends and finds the complete
 * lines in what it receives.
 *
 * Two modes keep the generator cheap. While setting up (registration, JOIN) a
 * client splits lines and lets callers wait for numerics. While measuring it
 * never splits lines: it scans the received bytes for the benchmark marker
 * (" :%%") and parses only the three numbers after it; everything else (JOINs of
 * others, numerics) is skipped, except PING, which is answered.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** What precedes the text of every benchmark message as a client receives it: ` :%%sid seq sentMicros …`. */
export const MARK_TEXT = "%%";
const MARK = Buffer.from(` :${MARK_TEXT}`);

/** What the traffic generator needs of a client, over TCP (BenchClient) or WebSocket (BenchWsClient). */
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

/** The command or numeric of a server line: ":server 001 nick ..." → "001". */
export function numericOf(line: string): string {
  const first = line.indexOf(" ");
  if (first === -1) return "";
  const second = line.indexOf(" ", first + 1);
  return line.slice(first + 1, second === -1 ? undefined : second);
}

export interface OpenOptions {
  readonly host: string;
  /** The IRC port over TCP; the HTTP listener's port (endpoint /ws) over WebSocket. */
  readonly port: number;
  readonly index: number;
  readonly nick: string;
  readonly hub: Hub;
  readonly timeoutMs: number;
}

/**
 * Waits until a new socket is ready for IRC: `ready` calls `done()` when it is (on
 * connect, or after a handshake) or `done(error)`. A socket error or `timeoutMs`
 * without either (`<what> timed out`) fails it too; a failure destroys the socket.
 */
export function whenReady(socket: Socket, timeoutMs: number, what: string, ready: (done: (error?: Error) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${what} timed out`)), timeoutMs);
    socket.once("error", (error: NodeJS.ErrnoException) => fail(new Error(`connect failed: ${error.code ?? error.message}`)));
    ready((error) => {
      if (error) return fail(error);
      clearTimeout(timer);
      resolve();
    });
  });
}

interface Waiter {
  test(line: string): boolean;
  resolve(line: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export abstract class LoadClient implements BenchPeer {
  /** Measuring mode: scan for benchmark messages only. */
  measuring = false;
  closed = false;
  closeReason = "";
  #tail: Buffer | null = null;
  #waiters: Waiter[] = [];

  protected constructor(
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

  /** Sends CRLF-terminated IRC lines, framed as the transport requires. */
  abstract send(data: string): void;

  /**
   * Handles the received bytes `data` (an unfinished line or frame of the last
   * read already in front) and returns how many of them are complete: the rest
   * is kept for the next read.
   */
  protected abstract consume(data: Buffer): number;

  /** Feeds one read of the socket to the transport, keeping what is incomplete. */
  protected receive(chunk: Buffer): void {
    const hub = this.hub;
    hub.lastReceive = performance.now();
    hub.bytesReceived += chunk.length;
    let data = chunk;
    if (this.#tail) {
      data = Buffer.concat([this.#tail, chunk]);
      this.#tail = null;
    }
    const complete = this.consume(data);
    // Copy the incomplete rest so the (large) chunk is not kept alive by it.
    if (complete < data.length) this.#tail = Buffer.from(data.subarray(complete));
  }

  /** Sends NICK/USER and resolves at RPL_WELCOME (001); destroys the client and rejects if refused. */
  protected async register(realname: string, timeoutMs: number): Promise<void> {
    this.send(`NICK ${this.nick}\r\nUSER ${this.nick} 0 * :${realname}\r\n`);
    const reply = await this.waitFor(
      (line) => {
        const code = numericOf(line);
        return code === "001" || code === "432" || code === "433" || line.startsWith("ERROR");
      },
      timeoutMs,
      "registration",
    );
    if (numericOf(reply) !== "001") {
      this.destroy();
      throw new Error(`registration refused: ${reply}`);
    }
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

  /** Setup mode: one line without its terminator, for PING and the waiters. */
  protected line(line: string): void {
    if (line.length === 0) return;
    if (line.startsWith("PING ")) {
      this.send(`PONG ${line.slice(5)}\r\n`);
      return;
    }
    if (line.startsWith("ERROR")) this.closeReason = line;
    if (this.#waiters.length === 0) return;
    for (const waiter of this.#waiters) {
      if (!waiter.test(line)) continue;
      clearTimeout(waiter.timer);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.resolve(line);
      break;
    }
  }

  /** Measuring mode: report the benchmark messages in data[0..end] to the hub. */
  protected scanMarks(data: Buffer, end: number): void {
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
}
