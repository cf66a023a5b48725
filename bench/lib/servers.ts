/**
 * Starts the servers under test, each in its own temporary directory with a
 * generated configuration, optionally pinned to one CPU with taskset.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import type { Target } from "./scenarios.js";
import { detached, ignoreFailure } from "../../src/detached.js";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const OUR_ENTRY = join(REPO_ROOT, "dist", "cli", "main.js");
export const NGIRCD = "/usr/sbin/ngircd";

export interface ServerHandle extends Target {
  readonly pid: number;
  readonly dir: string;
  readonly logFile: string;
  /** Signals the server and waits for it to exit (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** CPU to pin the server to, or null for no pinning. */
  readonly cpu: number | null;
  /** Parent of the per-server temporary directory. */
  readonly baseDir: string;
}

export function makeBaseDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "cmy-bench-"));
  // ngircd drops root privileges to "nobody", which must still read its files.
  chmodSync(dir, 0o755);
  return dir;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once("error", () => resolveConnect(false));
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts `command` in `dir` (pinned to `cpu` with taskset), its output in `dir/NAME.log`,
 * and waits until `port` accepts connections. `stdinToLog` opens the log as the child's
 * stdin too, for servers that report errors on fd 0 (vsftpd, an inetd heritage).
 */
export async function launch(
  name: string,
  command: string,
  args: readonly string[],
  port: number,
  dir: string,
  cpu: number | null,
  env?: NodeJS.ProcessEnv,
  stdinToLog = false,
): Promise<ServerHandle> {
  const logFile = join(dir, `${name}.log`);
  const log = openSync(logFile, "a");
  // taskset execs the server, so the child's PID is the server's.
  const [file, argv] = cpu === null ? [command, [...args]] : ["taskset", ["-c", String(cpu), command, ...args]];
  const child: ChildProcess = spawn(file, argv, { cwd: dir, stdio: [stdinToLog ? log : "ignore", log, log], ...(env !== undefined && { env }) });
  closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  // `exit` never rejects.
  detached(
    exit.then(() => (exited = true)),
    ignoreFailure,
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${name} exited at start:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not listen on port ${port} within 20 s:\n${tail(logFile)}`);
    }
    await sleep(50);
  }
  return {
    name,
    host: "127.0.0.1",
    port,
    pid,
    dir,
    logFile,
    async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 8000) {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

export interface OursOptions extends StartOptions {
  /** Directory for `node --cpu-prof`; no profiling when undefined. */
  readonly cpuProfileDir?: string;
  /** More options for node itself (idle-heap: `--heapsnapshot-signal`). */
  readonly nodeArgs?: readonly string[];
  /** history.enabled: store every message before delivering it (the server's default). */
  readonly history: boolean;
  /** history.commitIntervalMs; the server's default when undefined. */
  readonly commitIntervalMs?: number;
  /** database.url: "" or undefined = SQLite in the data directory. */
  readonly databaseUrl?: string;
  /** UV_THREADPOOL_SIZE of the server (argon2 hashing runs on that pool); undefined = inherit (libuv's default is 4). */
  readonly threadpool?: number;
  /** Also listen for HTTP (IRC over WebSocket at /ws) on 127.0.0.1 at this port. */
  readonly httpPort?: number;
  /** The server's entry point (`--ours-dist`: another build); dist/cli/main.js when undefined. */
  readonly entry?: string;
  /** What the handle and its log are called ("ours" when undefined): a cluster runs several. */
  readonly name?: string;
  /** CMY_* variables on top of this process's environment (cluster: CMY_REDIS_URL, CMY_NODE_NAME …). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Our server from the built dist/, with flood control off and limits raised. */
/** Where our server keeps what, and what it listens on, for one bench run. */
export interface BenchConfigOptions {
  readonly dataDir: string;
  readonly ircPort: number;
  /** The HTTP API on 127.0.0.1; off when undefined. */
  readonly httpPort?: number;
  readonly history: { readonly enabled: boolean; readonly maxAgeDays?: number; readonly commitIntervalMs?: number };
  /** "" or undefined = SQLite in dataDir. */
  readonly databaseUrl?: string;
  readonly logLevel?: "warn" | "info";
}

/**
 * Our server's config for a bench: limits and flood control out of the way, only the
 * listeners asked for. Written as JSON (JSON is YAML) to `dir`/cmymessage.yaml; returns its path.
 */
export function writeBenchConfig(dir: string, options: BenchConfigOptions): string {
  const config = {
    dataDir: options.dataDir,
    log: { level: options.logLevel ?? "warn", format: "json" },
    limits: { connectionsPerIp: 20000, maxConnections: 20000 },
    // Every bench client registers its account from 127.0.0.1.
    accounts: { registrationsPerAddressPerHour: 0 },
    history: options.history,
    database: { url: options.databaseUrl ?? "" },
    // No HTTP API unless asked for (ws-fanout, scale): the default would take port 8080 on every address.
    http: { listen: options.httpPort === undefined ? [] : [`127.0.0.1:${options.httpPort}`] },
    // No FTP either: its default port 2121 would clash between the nodes of a cluster (and with other servers).
    ftp: { listen: [] },
    irc: {
      listen: [`127.0.0.1:${options.ircPort}`],
      tlsListen: [],
      defaultChannels: [],
      flood: { enabled: false },
      pingIntervalSeconds: 600,
      pingTimeoutSeconds: 600,
    },
  };
  const configFile = join(dir, "cmymessage.yaml");
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return configFile;
}

export async function startOurs(options: OursOptions): Promise<ServerHandle> {
  const entry = options.entry ?? OUR_ENTRY;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build`);
  const dir = mkdtempSync(join(options.baseDir, "ours-"));
  const port = await freePort();
  const configFile = writeBenchConfig(dir, {
    dataDir: join(dir, "data"),
    ircPort: port,
    ...(options.httpPort !== undefined && { httpPort: options.httpPort }),
    history: { enabled: options.history, ...(options.commitIntervalMs !== undefined && { commitIntervalMs: options.commitIntervalMs }) },
    ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
  });
  const nodeArgs = [...(options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]), ...(options.nodeArgs ?? [])];
  const env =
    options.threadpool === undefined && options.env === undefined
      ? undefined
      : { ...process.env, ...options.env, ...(options.threadpool !== undefined && { UV_THREADPOOL_SIZE: String(options.threadpool) }) };
  return launch(options.name ?? "ours", process.execPath, [...nodeArgs, entry, "serve", "--config", configFile], port, dir, options.cpu, env);
}

export const REDIS_SERVER = "/usr/bin/redis-server";

/** A Redis of its own for a cluster: 127.0.0.1 on a free port, nothing written to disk. */
export async function startRedis(options: StartOptions): Promise<ServerHandle> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing (apt-get install redis-server)`);
  const dir = mkdtempSync(join(options.baseDir, "redis-"));
  const port = await freePort();
  return launch("redis", REDIS_SERVER, ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning"], port, dir, options.cpu);
}

/** ngircd in the foreground with no penalties, no per-IP or join limits, no DNS/ident lookups. */
export async function startNgircd(options: StartOptions): Promise<ServerHandle> {
  if (!existsSync(NGIRCD)) throw new Error(`${NGIRCD} is missing (apt-get install ngircd)`);
  const dir = mkdtempSync(join(options.baseDir, "ngircd-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const motd = join(dir, "ngircd.motd");
  writeFileSync(motd, "CmyMessage benchmark peer.\n");
  const includeDir = join(dir, "conf.d");
  mkdirSync(includeDir);
  const conf = join(dir, "ngircd.conf");
  writeFileSync(
    conf,
    [
      "[Global]",
      "Name = ngircd.bench.local",
      "Info = CmyMessage benchmark peer",
      "AdminInfo1 = bench",
      "AdminInfo2 = bench",
      "AdminEMail = bench@localhost",
      "Listen = 127.0.0.1",
      `Ports = ${port}`,
      `MotdFile = ${motd}`,
      // ngircd refuses to keep root and would pick nobody itself.
      "ServerUID = nobody",
      "[Limits]",
      "MaxConnections = 0",
      "MaxConnectionsIP = 0",
      "MaxJoins = 0",
      "MaxNickLength = 30",
      // 0 disables penalties (the command-rate throttle) altogether.
      "MaxPenaltyTime = 0",
      "MaxListSize = 100000",
      "PingTimeout = 600",
      "PongTimeout = 600",
      "[Options]",
      "DNS = no",
      "Ident = no",
      "PAM = no",
      `IncludeDir = ${includeDir}`,
      "",
    ].join("\n"),
  );
  return launch("ngircd", NGIRCD, ["-n", "-f", conf], port, dir, options.cpu);
}
