/**
 * FTP scenarios against a server on this machine, with real clients pinned to the
 * other CPU: curl (in C) for the big transfers, the Node client of ftp-client.ts for
 * the many small ones:
 *
 * - ftp-stor / ftp-retr: one curl process uploads or downloads the big file
 *   (`curl -T FILE ftp://...`, `curl -o /dev/null ftp://...`; `--ssl-reqd -k` for
 *   FTPS: AUTH TLS, PBSZ 0, PROT P). Throughput is the file size over curl's own
 *   data-phase time (`time_total − time_pretransfer`: from the moment the transfer
 *   is about to start, data connection and its TLS handshake done, to the final 226);
 *   the whole session (process start to exit: connect, login, transfer, QUIT) is
 *   reported beside it.
 * - ftp-many: N clients at once, each fetching M small files one after another over
 *   one control connection (each file a new passive data connection). By default the
 *   clients are those of ftp-client.ts, all in this process (pinned to the generator
 *   CPU): they log in first, then all start at once and files/s is files ÷ the time
 *   to the last 226. `--many-client curl` uses one curl process per client instead,
 *   counting files/s between 10 % and 90 % of completions; curl stalls there (see
 *   ftp-client.ts).
 *
 * CPU: the server's from /proc (processTreeCpuMicros: ours is one process; vsftpd's
 * session processes are in the tree or, once exited, in the cutime/cstime of the
 * process that waited for them); the generator's as this process's cutime/cstime
 * (every curl is our child and waited for when it exits) plus its own CPU (the Node
 * client of ftp-many); "others" is the machine's busy time (/proc/stat) minus both.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FtpClient } from "./ftp-client.js";
import { BIG_FILE, FTP_USER, smallFileName, UPLOAD_FILE, waitIdle, type FtpServerHandle, type FtpServerName, type FtpWorkspace } from "./ftp-servers.js";
import { ioSyscalls, machineBusyMicros, processTreeCpuMicros, reapedChildrenCpuMicros, selfCpuMicros, threadCpuMicros } from "./proc.js";
import type { MetricDef } from "./scenarios.js";

export type FtpScenarioName = "ftp-stor" | "ftp-retr" | "ftp-many";
export const FTP_SCENARIOS: readonly FtpScenarioName[] = ["ftp-stor", "ftp-retr", "ftp-many"];

export interface FtpResult {
  readonly scenario: FtpScenarioName;
  readonly target: FtpServerName;
  readonly tls: boolean;
  readonly run: number;
  /** Transfer (ftp-stor/ftp-retr) or round (ftp-many) within the run, from 1. */
  readonly sample: number;
  /** Keys are those of FTP_METRICS[scenario]; NaN when not measurable. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

const transferMetrics: MetricDef[] = [
  { key: "mbps", label: "MB/s (data phase)", digits: 1 },
  { key: "session_mbps", label: "MB/s (whole curl session: connect, login, transfer, QUIT)", digits: 1 },
  { key: "server_ms_per_mb", label: "server CPU ms/MB", digits: 3 },
  { key: "gen_ms_per_mb", label: "generator (curl) CPU ms/MB", digits: 3 },
  { key: "server_cpu_pct", label: "server CPU % (of the session)", digits: 0 },
  { key: "main_thread_pct", label: "… share of the server's main thread (ours: the event loop; the rest: libuv's pool doing the file I/O, V8's GC threads)", digits: 0 },
  { key: "syscalls_per_mb", label: "server read+write system calls per MB (ours; /proc/PID/io)", digits: 1 },
  { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
  { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
  { key: "transfer_s", label: "data phase (s)", digits: 3 },
  { key: "setup_s", label: "before the data phase (s: connect, login, TLS, EPSV, STOR/RETR)", digits: 3 },
];

export const FTP_METRICS: Readonly<Record<FtpScenarioName, readonly MetricDef[]>> = {
  "ftp-stor": transferMetrics,
  "ftp-retr": transferMetrics,
  "ftp-many": [
    { key: "files_per_s", label: "files/s", digits: 0 },
    { key: "ok", label: "files fetched", digits: 0 },
    { key: "failed", label: "files failed", digits: 0 },
    { key: "file_p50_ms", label: "per file p50 (ms, EPSV → 226)", digits: 2 },
    { key: "file_p99_ms", label: "per file p99 (ms)", digits: 2 },
    { key: "login_s", label: "all clients connected and logged in (s, not measured)", digits: 2 },
    { key: "server_us_per_file", label: "server CPU µs/file", digits: 0 },
    { key: "gen_us_per_file", label: "generator CPU µs/file", digits: 0 },
    { key: "server_cpu_pct", label: "server CPU %", digits: 0 },
    { key: "main_thread_pct", label: "… share of the server's main thread (ours)", digits: 0 },
    { key: "syscalls_per_file", label: "server read+write system calls per file (ours)", digits: 1 },
    { key: "gen_cpu_pct", label: "generator CPU %", digits: 0 },
    { key: "others_cpu_pct", label: "other processes CPU % (noise)", digits: 0 },
    { key: "seconds", label: "duration (s)", digits: 2 },
  ],
};

export interface FtpRunContext {
  readonly ws: FtpWorkspace;
  /** CPU for curl (taskset), or null. */
  readonly cpu: number | null;
  readonly timeoutSeconds: number;
}

interface CurlOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs curl (pinned with taskset) to the end; `onLine` sees each stderr line as it arrives. */
function runCurl(args: readonly string[], cpu: number | null, timeoutMs: number, onLine?: (line: string, at: number) => void): Promise<CurlOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // -q first: ignore any ~/.curlrc.
    const argv = ["-q", ...args];
    const child = cpu === null ? spawn("curl", argv, { stdio: ["ignore", "pipe", "pipe"] }) : spawn("taskset", ["-c", String(cpu), "curl", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("latin1").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("latin1").on("data", (text: string) => {
      const at = performance.now();
      stderr += text;
      if (!onLine) return;
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line, at);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (onLine && partial !== "") onLine(partial, performance.now());
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

function curlBase(server: FtpServerHandle, ws: FtpWorkspace): string[] {
  const args = ["-sS", "-u", `${FTP_USER}:${ws.password}`];
  if (server.tls) args.push("--ssl-reqd", "-k");
  return args;
}

function url(server: FtpServerHandle, name: string): string {
  return `ftp://${server.host}:${server.port}/${name}`;
}

function curlFailure(outcome: CurlOutcome): string {
  const message = outcome.stderr.trim().split("\n").filter((l) => l.startsWith("curl:")).join("; ") || outcome.stderr.trim().slice(-300);
  return `curl exited with ${outcome.code ?? outcome.signal}: ${message}`;
}

interface Marks {
  readonly server: number;
  /** The server's main thread (ours: the event loop); NaN for vsftpd, whose processes are single-threaded and come and go. */
  readonly main: number;
  /** read- and write-like system calls of the server process (/proc/PID/io); NaN for vsftpd (its session processes take theirs with them). */
  readonly syscalls: number;
  readonly generator: number;
  readonly busy: number;
  readonly at: number;
}

function mark(server: FtpServerHandle): Marks {
  const io = server.kind === "ours" ? ioSyscalls(server.pid) : null;
  return {
    server: processTreeCpuMicros(server.pid) ?? Number.NaN,
    main: server.kind === "ours" ? (threadCpuMicros(server.pid) ?? Number.NaN) : Number.NaN,
    syscalls: io ? io.reads + io.writes : Number.NaN,
    generator: reapedChildrenCpuMicros() + selfCpuMicros(),
    busy: machineBusyMicros(),
    at: performance.now(),
  };
}

/** Compares three 64 KiB blocks (start, middle, end) of two files of equal size. */
function sameSamples(a: string, b: string, size: number): boolean {
  const block = Math.min(65536, size);
  const offsets = [0, Math.floor((size - block) / 2), size - block];
  const fa = openSync(a, "r");
  const fb = openSync(b, "r");
  try {
    const ba = Buffer.alloc(block);
    const bb = Buffer.alloc(block);
    for (const offset of offsets) {
      readSync(fa, ba, 0, block, offset);
      readSync(fb, bb, 0, block, offset);
      if (!ba.equals(bb)) return false;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/**
 * One STOR or RETR of the big file by one curl process, with the server's and the
 * generator's CPU around it. STOR checks size and sampled content of what arrived,
 * then deletes it (outside the measurement), so every upload makes a new file.
 */
export async function ftpTransfer(server: FtpServerHandle, direction: "stor" | "retr", ctx: FtpRunContext): Promise<{ metrics: Record<string, number>; notes: string[] }> {
  const { ws } = ctx;
  if (!ws.bigFile) throw new Error("no big file in the workspace");
  const notes: string[] = [];
  const uploaded = join(server.root, UPLOAD_FILE);
  try {
    unlinkSync(uploaded);
  } catch {
    // Not there: good.
  }
  if (!(await waitIdle(server))) notes.push("server still had session processes before the transfer");
  const args = [...curlBase(server, ws), "-w", "%{time_pretransfer} %{time_starttransfer} %{time_total} %{size_download} %{size_upload} %{response_code}\\n"];
  if (direction === "stor") args.push("-T", ws.bigFile, url(server, UPLOAD_FILE));
  else args.push("-o", "/dev/null", url(server, BIG_FILE));
  const before = mark(server);
  const outcome = await runCurl(args, ctx.cpu, ctx.timeoutSeconds * 1000);
  const ended = performance.now();
  if (!(await waitIdle(server))) notes.push("server session processes still there 5 s after curl exited");
  const after = mark(server);
  if (outcome.code !== 0) throw new Error(curlFailure(outcome));
  const fields = outcome.stdout.trim().split("\n").pop()?.split(" ").map(Number) ?? [];
  const [pretransfer = Number.NaN, , total = Number.NaN, downloaded = Number.NaN, uploadedBytes = Number.NaN, response = Number.NaN] = fields;
  const bytes = direction === "stor" ? uploadedBytes : downloaded;
  if (bytes !== ws.bigBytes) throw new Error(`curl moved ${bytes} bytes, expected ${ws.bigBytes} (reply ${response})`);
  if (direction === "stor") {
    let size = -1;
    try {
      size = statSync(uploaded).size;
    } catch {
      // Checked below.
    }
    if (size !== ws.bigBytes) throw new Error(`the server stored ${size} bytes of ${ws.bigBytes}`);
    if (!sameSamples(ws.bigFile, uploaded, ws.bigBytes)) throw new Error("the stored file differs from the uploaded one");
    unlinkSync(uploaded);
  }
  const sessionSeconds = outcome.ms / 1000;
  const transferSeconds = total - pretransfer;
  const mb = bytes / 1e6;
  const server_us = after.server - before.server;
  const generator_us = after.generator - before.generator;
  const interval_us = (after.at - before.at) * 1000;
  return {
    metrics: {
      mbps: mb / transferSeconds,
      session_mbps: mb / sessionSeconds,
      server_ms_per_mb: server_us / 1000 / mb,
      gen_ms_per_mb: generator_us / 1000 / mb,
      server_cpu_pct: (server_us / ((ended - before.at) * 1000)) * 100,
      main_thread_pct: ((after.main - before.main) / server_us) * 100,
      syscalls_per_mb: (after.syscalls - before.syscalls) / mb,
      gen_cpu_pct: (generator_us / ((ended - before.at) * 1000)) * 100,
      others_cpu_pct: ((after.busy - before.busy - server_us - generator_us) / interval_us) * 100,
      transfer_s: transferSeconds,
      setup_s: pretransfer,
      reply: response,
    },
    notes,
  };
}

export interface ManyOptions {
  /** Clients at once, one control connection each. */
  readonly clients: number;
  /** Files each client fetches, one after another (every client fetches all the small files, each starting at another one). */
  readonly filesPerClient: number;
  /** node: the client of ftp-client.ts, all clients in this process (default); curl: one curl process per client. */
  readonly client: "node" | "curl";
}

/** ftp-many: `clients` clients at once, each fetching `filesPerClient` small files over one control connection. */
export function ftpMany(server: FtpServerHandle, options: ManyOptions, ctx: FtpRunContext): Promise<{ metrics: Record<string, number>; notes: string[] }> {
  return options.client === "curl" ? manyWithCurl(server, options, ctx) : manyWithNode(server, options, ctx);
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

function countErrors(errors: Map<string, number>, message: string): void {
  const key = message.replace(/\d+ ms/g, "N ms").replace(/port \d+/g, "port N");
  errors.set(key, (errors.get(key) ?? 0) + 1);
}

/**
 * The Node client: all clients connect and log in first (timed apart, not measured),
 * then start fetching at the same moment; files/s is the files fetched ÷ the time from
 * that moment to the last 226, and the CPU figures cover the same interval.
 */
async function manyWithNode(server: FtpServerHandle, options: ManyOptions, ctx: FtpRunContext): Promise<{ metrics: Record<string, number>; notes: string[] }> {
  const { ws } = ctx;
  if (ws.smallCount === 0) throw new Error("no small files in the workspace");
  const notes: string[] = [];
  const errors = new Map<string, number>();
  if (!(await waitIdle(server))) notes.push("server still had session processes before the run");
  const timeoutMs = ctx.timeoutSeconds * 1000;
  const loginStart = performance.now();
  const logins = await Promise.all(
    Array.from({ length: options.clients }, () =>
      FtpClient.connect({ host: server.host, port: server.port, user: FTP_USER, password: ws.password, tls: server.tls, timeoutMs }).catch((error: unknown) => error as Error),
    ),
  );
  const loginSeconds = (performance.now() - loginStart) / 1000;
  const clients = logins.filter((c): c is FtpClient => c instanceof FtpClient);
  for (const failure of logins.filter((c): c is Error => !(c instanceof FtpClient))) countErrors(errors, `login: ${failure.message}`);
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const before = mark(server);
  await Promise.all(
    clients.map(async (client, index) => {
      for (let j = 0; j < options.filesPerClient; j++) {
        const t0 = performance.now();
        try {
          const bytes = await client.retrieve(smallFileName((index + j) % ws.smallCount));
          if (bytes === ws.smallBytes) {
            ok++;
            latencies.push(performance.now() - t0);
          } else {
            failed++;
            countErrors(errors, `got ${bytes} bytes of ${ws.smallBytes}`);
          }
        } catch (error) {
          failed++;
          countErrors(errors, (error as Error).message);
          // The control connection may be out of step now: this client stops.
          failed += options.filesPerClient - j - 1;
          break;
        }
      }
    }),
  );
  const after = mark(server);
  await Promise.all(clients.map((client) => client.quit()));
  failed += (options.clients - clients.length) * options.filesPerClient;
  for (const [message, count] of [...errors].slice(0, 3)) notes.push(`${count}× ${message}`);
  latencies.sort((a, b) => a - b);
  const wall = (after.at - before.at) / 1000;
  const server_us = after.server - before.server;
  const generator_us = after.generator - before.generator;
  return {
    metrics: {
      files_per_s: ok / wall,
      ok,
      failed,
      file_p50_ms: percentile(latencies, 0.5),
      file_p99_ms: percentile(latencies, 0.99),
      login_s: loginSeconds,
      server_us_per_file: server_us / ok,
      gen_us_per_file: generator_us / ok,
      server_cpu_pct: (server_us / (wall * 1e6)) * 100,
      main_thread_pct: ((after.main - before.main) / server_us) * 100,
      syscalls_per_file: (after.syscalls - before.syscalls) / ok,
      gen_cpu_pct: (generator_us / (wall * 1e6)) * 100,
      others_cpu_pct: ((after.busy - before.busy - server_us - generator_us) / (wall * 1e6)) * 100,
      seconds: wall,
    },
    notes,
  };
}

/**
 * One curl process per client with all its URLs (curl reuses the control connection);
 * `-w '%{stderr}...'` reports each file as it completes. Files/s is counted between
 * 10 % and 90 % of all completions, leaving out the logins at the start. Subject to
 * curl's 1 s stalls (see ftp-client.ts); kept to show them.
 */
async function manyWithCurl(server: FtpServerHandle, options: ManyOptions, ctx: FtpRunContext): Promise<{ metrics: Record<string, number>; notes: string[] }> {
  const { ws } = ctx;
  if (ws.smallCount === 0) throw new Error("no small files in the workspace");
  const notes: string[] = [];
  if (!(await waitIdle(server))) notes.push("server still had session processes before the run");
  const completions: number[] = [];
  let failed = 0;
  const errors = new Map<string, number>();
  const before = mark(server);
  const runs = Array.from({ length: options.clients }, (_, client) => {
    const args = [...curlBase(server, ws), "-w", "%{stderr}=%{response_code} %{size_download}\\n"];
    for (let j = 0; j < options.filesPerClient; j++) args.push("-o", "/dev/null", url(server, smallFileName((client + j) % ws.smallCount)));
    return runCurl(args, ctx.cpu, ctx.timeoutSeconds * 1000, (line, at) => {
      if (line.startsWith("=")) {
        const [code, size] = line.slice(1).split(" ").map(Number);
        if (code === 226 && size === ws.smallBytes) completions.push(at);
        else {
          failed++;
          countErrors(errors, `reply ${code}, ${size} bytes`);
        }
      } else if (line.startsWith("curl:")) countErrors(errors, line);
    });
  });
  const outcomes = await Promise.all(runs);
  const ended = performance.now();
  if (!(await waitIdle(server, 10_000))) notes.push("server session processes still there 10 s after the last curl exited");
  const after = mark(server);
  const exitedBadly = outcomes.filter((o) => o.code !== 0).length;
  const ok = completions.length;
  failed = Math.max(failed, options.clients * options.filesPerClient - ok);
  if (exitedBadly > 0) notes.push(`${exitedBadly} curl process(es) failed`);
  for (const [message, count] of [...errors].slice(0, 3)) notes.push(`${count}× ${message}`);
  completions.sort((a, b) => a - b);
  const lo = Math.floor(ok * 0.1);
  const hi = Math.max(lo, Math.ceil(ok * 0.9) - 1);
  const wall = (ended - before.at) / 1000;
  const server_us = after.server - before.server;
  const generator_us = after.generator - before.generator;
  notes.push(`curl: ${fmt0(ok / wall)} files/s over the whole run, logins included`);
  return {
    metrics: {
      files_per_s: ok >= 10 ? (hi - lo) / ((completions[hi]! - completions[lo]!) / 1000) : Number.NaN,
      ok,
      failed,
      file_p50_ms: Number.NaN,
      file_p99_ms: Number.NaN,
      login_s: Number.NaN,
      server_us_per_file: server_us / ok,
      gen_us_per_file: generator_us / ok,
      server_cpu_pct: (server_us / (wall * 1e6)) * 100,
      main_thread_pct: ((after.main - before.main) / server_us) * 100,
      syscalls_per_file: (after.syscalls - before.syscalls) / ok,
      gen_cpu_pct: (generator_us / (wall * 1e6)) * 100,
      others_cpu_pct: ((after.busy - before.busy - server_us - generator_us) / ((after.at - before.at) * 1000)) * 100,
      seconds: wall,
    },
    notes,
  };
}

function fmt0(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–";
}

/** The TLS protocol and cipher curl reports for a server (a directory listing with -v), e.g. "TLSv1.3 / TLS_AES_256_GCM_SHA384". */
export async function negotiatedTls(server: FtpServerHandle, ctx: FtpRunContext): Promise<string> {
  const outcome = await runCurl([...curlBase(server, ctx.ws), "-v", "-o", "/dev/null", url(server, "")], ctx.cpu, 30_000);
  const found = new Set<string>();
  for (const match of outcome.stderr.matchAll(/SSL connection using (\S+ \/ \S+)/g)) found.add(match[1]!);
  return found.size > 0 ? [...found].join(", ") : outcome.code === 0 ? "no TLS reported" : curlFailure(outcome);
}
