/**
 * A bare FTP control connection for the edge cases a client library smooths over:
 * exact reply codes, multi-line replies, pipelined and hostile commands, data
 * connections from a chosen address. Also: running the real command-line clients
 * (curl, lftp) without a shell, and comparing directory trees.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readdir, readFile, stat } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";

export interface FtpReply {
  readonly code: number;
  /** Every line of the reply, codes included. */
  readonly lines: readonly string[];
  /** The text after the code on the last line. */
  readonly text: string;
}

/** Narrows a TLS handshake: a TLS version, no session tickets. */
export type TlsNarrowing = Pick<tls.ConnectionOptions, "maxVersion" | "secureOptions">;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FtpControl {
  readonly replies: FtpReply[] = [];
  /** The control connection's TLS session (a ticket), offered again on protected data connections. */
  tlsSession: Buffer | undefined;
  /** Whether the last protected data connection resumed the control connection's TLS session. */
  lastDataResumed = false;
  /** What narrowed the control connection's handshake: its data connections' handshakes alike, as real clients do. */
  #tlsOptions: TlsNarrowing = {};
  #socket: net.Socket;
  #buffer = "";
  #pending: string[] = [];
  #waiters: Array<() => void> = [];
  #closed = false;
  closed!: Promise<void>;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    this.#attach(socket);
  }

  #attach(socket: net.Socket): void {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.#onData(chunk));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.#closed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  /** Connects and reads the 220 greeting. */
  static async connect(port: number, host = "127.0.0.1", options: { localAddress?: string; greeting?: boolean } = {}): Promise<FtpControl> {
    const socket = net.connect({ port, host, ...(options.localAddress && { localAddress: options.localAddress }) });
    await once(socket, "connect");
    const control = new FtpControl(socket);
    if (options.greeting !== false) {
      const hello = await control.read();
      if (hello.code !== 220) throw new Error(`expected 220, got ${hello.lines.join(" | ")}`);
    }
    return control;
  }

  get socket(): net.Socket {
    return this.#socket;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let index: number;
    while ((index = this.#buffer.indexOf("\r\n")) !== -1) {
      this.#pending.push(this.#buffer.slice(0, index));
      this.#buffer = this.#buffer.slice(index + 2);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** A complete reply at the front of the queue, taken off it; null when none is complete yet. */
  #take(): FtpReply | null {
    const first = this.#pending[0];
    if (first === undefined) return null;
    const code = Number(first.slice(0, 3));
    if (first[3] !== "-") {
      this.#pending.shift();
      return { code, lines: [first], text: first.slice(4) };
    }
    const end = this.#pending.findIndex((line, i) => i > 0 && line.startsWith(`${first.slice(0, 3)} `));
    if (end === -1) return null;
    const lines = this.#pending.splice(0, end + 1);
    return { code, lines, text: lines[lines.length - 1]!.slice(4) };
  }

  /** The next reply (multi-line replies whole); rejects after `timeoutMs` or when the connection closes first. */
  async read(timeoutMs = 5000): Promise<FtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.#take();
      if (reply) {
        this.replies.push(reply);
        return reply;
      }
      if (this.#closed) throw new Error(`connection closed while waiting for a reply (pending: ${this.#pending.join(" | ")})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms (pending: ${this.#pending.join(" | ")})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves null when nothing more arrives within `ms` (nothing unexpected was answered). */
  async quiet(ms: number): Promise<FtpReply | null> {
    try {
      return await this.read(ms);
    } catch {
      return null;
    }
  }

  send(line: string): void {
    this.#socket.write(`${line}\r\n`);
  }

  sendRaw(bytes: string | Buffer): void {
    this.#socket.write(bytes);
  }

  async command(line: string, timeoutMs = 5000): Promise<FtpReply> {
    this.send(line);
    return this.read(timeoutMs);
  }

  /** USER + PASS, expecting 331 then 230. */
  async login(user: string, password: string): Promise<void> {
    const u = await this.command(`USER ${user}`);
    if (u.code !== 331) throw new Error(`USER: ${u.lines.join(" | ")}`);
    const p = await this.command(`PASS ${password}`);
    if (p.code !== 230) throw new Error(`PASS: ${p.lines.join(" | ")}`);
  }

  /**
   * AUTH TLS, then the control connection continues over TLS (any certificate accepted).
   * `injected` is sent in clear text in the same write, right after the AUTH line;
   * `options` narrow the handshake (a TLS version, no session tickets), and those of the data connections.
   */
  async startTls(injected = "", options: TlsNarrowing = {}): Promise<void> {
    this.#tlsOptions = options;
    this.sendRaw(`AUTH TLS\r\n${injected}`);
    const reply = await this.read();
    if (reply.code !== 234) throw new Error(`AUTH TLS: ${reply.lines.join(" | ")}`);
    this.#socket.removeAllListeners("data");
    this.#socket.removeAllListeners("close");
    const secured = tls.connect({ socket: this.#socket, rejectUnauthorized: false, ...options });
    secured.on("session", (session: Buffer) => (this.tlsSession = session));
    await once(secured, "secureConnect");
    this.#socket = secured;
    this.#attach(secured);
  }

  /** EPSV (or PASV), returning the port to connect to. */
  async passive(kind: "EPSV" | "PASV" = "EPSV"): Promise<number> {
    const reply = await this.command(kind);
    if (kind === "EPSV") {
      const m = /\(\|\|\|(\d+)\|\)/.exec(reply.text);
      if (reply.code !== 229 || !m) throw new Error(`EPSV: ${reply.lines.join(" | ")}`);
      return Number(m[1]);
    }
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
    if (reply.code !== 227 || !m) throw new Error(`PASV: ${reply.lines.join(" | ")}`);
    return Number(m[5]) * 256 + Number(m[6]);
  }

  /**
   * One data transfer: EPSV, connect, `command`, 150, send `upload` (or read
   * everything), then the final reply. Returns what was read and both replies.
   */
  async transfer(command: string, upload?: Buffer, options: { host?: string; tls?: boolean } = {}): Promise<{ data: Buffer; preliminary: FtpReply; final: FtpReply }> {
    const port = await this.passive();
    const data = await connectData(port, options.host ?? this.#socket.remoteAddress ?? "127.0.0.1");
    const preliminary = await this.command(command);
    if (preliminary.code !== 150) {
      data.destroy();
      return { data: Buffer.alloc(0), preliminary, final: preliminary };
    }
    let socket: net.Socket = data;
    if (options.tls) {
      const secured = await secureData(data, this.tlsSession, this.#tlsOptions);
      this.lastDataResumed = secured.isSessionReused();
      socket = secured;
    }
    let received: Buffer;
    if (upload) {
      // The server may cut the connection (a quota, a refusal): wait for the close, error or not.
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.on("error", () => {});
      socket.end(upload);
      received = Buffer.alloc(0);
      await closed;
    } else received = await readAll(socket);
    const final = await this.read(10_000);
    return { data: received, preliminary, final };
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** An upload under way (see startUpload). */
export interface StreamingUpload {
  readonly data: net.Socket;
  /** Resolves when the data connection closes (the server may cut it: a quota, a limit). */
  readonly closed: Promise<void>;
  /** Sends `bytes` random bytes in 64 KiB pieces; resolves with how many were written before the server cut the connection. */
  send(bytes: number): Promise<number>;
}

/**
 * Starts an upload (EPSV, connect, `command`, 150) and lets the test send it in 64 KiB
 * pieces, a little at a time, so it can act in the middle (or run several at once).
 */
export async function startUpload(control: FtpControl, command: string): Promise<StreamingUpload> {
  const port = await control.passive();
  const data = await connectData(port, "127.0.0.1");
  const closed = new Promise<void>((resolve) => data.once("close", () => resolve()));
  const preliminary = await control.command(command);
  if (preliminary.code !== 150) throw new Error(`${command}: expected 150, got ${preliminary.lines.join(" | ")}`);
  let destroyed = false;
  data.once("close", () => (destroyed = true));
  return {
    data,
    closed,
    async send(bytes: number): Promise<number> {
      let sent = 0;
      while (sent < bytes && !destroyed) {
        const piece = randomBytes(Math.min(64 * 1024, bytes - sent));
        if (!data.write(piece)) await Promise.race([new Promise((resolve) => data.once("drain", resolve)), closed]);
        sent += piece.length;
        await sleep(2);
      }
      return sent;
    },
  };
}

export async function connectData(port: number, host: string, localAddress?: string): Promise<net.Socket> {
  const socket = net.connect({ port, host, ...(localAddress && { localAddress }) });
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

export async function secureData(socket: net.Socket, session?: Buffer, options: TlsNarrowing = {}): Promise<tls.TLSSocket> {
  const secured = tls.connect({ socket, rejectUnauthorized: false, ...options, ...(session && { session }) });
  secured.on("error", () => {});
  await once(secured, "secureConnect");
  return secured;
}

export function readAll(socket: net.Socket, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error("data connection did not end in time")), timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

// ── real clients ─────────────────────────────────────────────────────────────

export interface RunResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with an argument array (never a shell), killed after `timeoutMs`; never rejects. */
export function run(program: string, args: readonly string[], options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const settings = { timeout: options.timeoutMs ?? 20_000, killSignal: "SIGKILL" as const, maxBuffer: 32 * 1024 * 1024, cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8" as const };
    execFile(program, args, settings, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: string }) | null;
      resolve({
        code: failure ? (typeof failure.code === "number" ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      });
    });
  });
}

/** Fails with the client's own words when it did not exit 0. */
export function expectSuccess(result: RunResult, what: string): void {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}, signal ${result.signal}):\n${result.stderr.slice(-3000)}\n${result.stdout.slice(-1000)}`);
}

/** `diff -r` in TypeScript: the same relative paths, the same kinds, the same bytes. Returns the differences. */
export async function diffTrees(left: string, right: string): Promise<string[]> {
  const differences: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const a = join(left, relative);
    const b = join(right, relative);
    const [namesA, namesB] = await Promise.all([readdir(a).catch(() => null), readdir(b).catch(() => null)]);
    if (!namesA || !namesB) {
      differences.push(`${relative || "."}: ${!namesA ? "missing on the left" : "missing on the right"}`);
      return;
    }
    for (const name of new Set([...namesA, ...namesB])) {
      const path = join(relative, name);
      if (!namesA.includes(name)) differences.push(`Only in ${right}: ${path}`);
      else if (!namesB.includes(name)) differences.push(`Only in ${left}: ${path}`);
      else {
        const [sa, sb] = await Promise.all([stat(join(left, path)), stat(join(right, path))]);
        if (sa.isDirectory() !== sb.isDirectory()) differences.push(`${path}: a directory on one side only`);
        else if (sa.isDirectory()) await walk(path);
        else if (!(await readFile(join(left, path))).equals(await readFile(join(right, path)))) differences.push(`${path}: contents differ`);
      }
    }
  };
  await walk("");
  return differences;
}
