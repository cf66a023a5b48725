/**
 * One cluster node as an operator runs it: the real CLI (`cmymessage serve`) in a
 * child process, configured through CMY_* variables and a YAML file, on ephemeral
 * ports it reports in its JSON log ("IRC listening", "HTTP listening").
 * Which CLI: see cli-command.ts.
 *
 * CMY_TEST_NODE_LOGS=1 writes each node's whole log to stderr when its test ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cliCommand } from "./cli-command.js";
import { onProcessExit, teardownOf, type AfterHook, type Teardown } from "./teardown.js";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** A configuration subtree, written to the node's YAML file. */
export type ConfigTree = { readonly [key: string]: unknown };

/**
 * What the tests relax, as test/support/test-server.ts does for in-process servers:
 * no flood control, many connections from the test's one address, a quick brute-force
 * back-off, no limit on accounts created per address, a short shutdown, and a 3 s
 * node timeout so failures show up fast.
 */
export const NODE_TEST_CONFIG: ConfigTree = {
  server: { shutdownTimeoutSeconds: 1 },
  cluster: { nodeTimeoutSeconds: 3 },
  limits: { connectionsPerIp: 1000 },
  accounts: { registrationsPerAddressPerHour: 0 },
  auth: {
    // Clients in a network-namespace test come from the bridge address, not loopback.
    allowPlaintextSasl: true,
    bruteForce: { backoffBaseSeconds: 0.01, backoffMaxSeconds: 0.02, accountFailuresPerSecond: 100 },
  },
  irc: { flood: { enabled: false } },
};

function isTree(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `over` merged into `base`, subtree by subtree (arrays and values replace). */
export function mergeConfig(base: ConfigTree, over: ConfigTree): ConfigTree {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isTree(current) && isTree(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

/** One line of the node's JSON log (pino: numeric level, `msg`, and fields). */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface NodeOptions {
  /** cluster.nodeName (CMY_NODE_NAME); also names the node in errors. */
  readonly name: string;
  /** cluster.redisUrl (CMY_REDIS_URL); "" = a single node on the in-process bus. */
  readonly redisUrl: string;
  /** database.url (CMY_DATABASE_URL); "" = SQLite in the data directory. */
  readonly databaseUrl: string;
  /** Address the IRC and HTTP listeners bind, port 0 (default 127.0.0.1). */
  readonly bind?: string;
  /** Listen for HTTP (default on; tests that never use it turn it off to start faster). */
  readonly http?: boolean;
  /** Also listen for FTP (off by default). */
  readonly ftp?: boolean;
  /** Extra environment (wins over everything the harness sets). */
  readonly env?: Readonly<Record<string, string>>;
  /** Merged over NODE_TEST_CONFIG into the node's config file (CMY_CONFIG). */
  readonly config?: ConfigTree;
  /** The data directory, e.g. one shared by several nodes; default a fresh one, removed at the end. */
  readonly dataDir?: string;
  /** Runs the node inside this network namespace (`ip netns exec`); see netns.ts. */
  readonly netns?: string;
  /** Node's own flags, before the CLI (e.g. --trace-gc, --heap-snapshot-signal=SIGUSR2 to find out where memory goes). */
  readonly nodeFlags?: readonly string[];
  /** How long the start may take (default 30 s: two busy cores, sources through tsx). */
  readonly startTimeoutMs?: number;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The node ended before it was running: its exit status and what it wrote. */
export class NodeStartError extends Error {
  override readonly name = "NodeStartError";
  constructor(
    message: string,
    readonly exit: ExitStatus | null,
    readonly stderr: string,
    readonly logs: readonly LogLine[],
  ) {
    super(message);
  }
}

export interface ClusterNode {
  readonly name: string;
  /** The address its listeners bound (clients connect here). */
  readonly host: string;
  readonly ircPort: number;
  /** 0 when HTTP is off. */
  readonly httpPort: number;
  /** 0 when FTP is off. */
  readonly ftpPort: number;
  readonly pid: number;
  readonly dataDir: string;
  /** The JSON log lines so far, in order. */
  readonly logs: readonly LogLine[];
  /** Everything written to stderr (and non-JSON stdout) so far. */
  readonly stderr: string;
  /** Resolves when the process has ended. */
  readonly exited: Promise<ExitStatus>;
  /** http://host:httpPort */
  readonly httpBase: string;
  /** Sends `signal` (default SIGKILL) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<ExitStatus>;
  /** SIGTERM and waits for the graceful exit (SIGKILL after a bound); rejects when the exit was not clean. */
  stop(): Promise<void>;
  /** The first log line (already written or still to come) that matches, within `timeoutMs`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** The last lines of its log and stderr, for failure messages. */
  tail(lines?: number): string;
}

/** Set to 1 to have every node's whole log written to stderr when its test ends (for finding out why a test failed). */
export const NODE_LOGS_ENV = "CMY_TEST_NODE_LOGS";

/** Longer than the node's own shutdown bound (server.shutdownTimeoutSeconds: 1) plus closing the database. */
const STOP_GRACE_MS = 10_000;
const RUNNING = "CmyMessage is running";

/** Spawns a node for the test (or Teardown) `owner`; it is stopped (and its temp files removed) when the test ends, whatever its outcome. */
export async function startNode(owner: AfterHook | Teardown, options: NodeOptions): Promise<ClusterNode> {
  const teardown = teardownOf(owner);
  const host = options.bind ?? "127.0.0.1";
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `cmy-node-${options.name}-`)));
  if (ownDir) teardown.add(`removing ${options.name}'s data directory`, () => rm(dataDir, { recursive: true, force: true }));
  const configDir = await mkdtemp(join(tmpdir(), `cmy-node-config-${options.name}-`));
  teardown.add(`removing ${options.name}'s config file`, () => rm(configDir, { recursive: true, force: true }));
  const configFile = join(configDir, "config.yaml");
  // JSON is YAML: the file is written without a YAML library.
  await writeFile(configFile, JSON.stringify(mergeConfig(NODE_TEST_CONFIG, options.config ?? {}), null, 2));

  // Nothing from the developer's environment decides what the node does.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("CMY_") && key !== "NODE_TEST_CONTEXT" && key !== "NODE_OPTIONS") env[key] = value;
  Object.assign(env, {
    CMY_CONFIG: configFile,
    CMY_DATA_DIR: dataDir,
    CMY_NODE_NAME: options.name,
    CMY_REDIS_URL: options.redisUrl,
    CMY_DATABASE_URL: options.databaseUrl,
    CMY_IRC_LISTEN: `${host}:0`,
    CMY_IRC_TLS_LISTEN: "",
    CMY_HTTP_LISTEN: options.http === false ? "" : `${host}:0`,
    CMY_FTP_LISTEN: options.ftp ? `${host}:0` : "",
    CMY_LOG_FORMAT: "json",
    CMY_LOG_LEVEL: "info",
    ...options.env,
  });

  const nodeArgs = [...(options.nodeFlags ?? []), ...cliCommand().args, "serve"];
  const [command, args] = options.netns ? ["ip", ["netns", "exec", options.netns, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child: ChildProcess = spawn(command, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  const forget = onProcessExit(() => child.kill("SIGKILL"));
  const logs: LogLine[] = [];
  const waiters: Array<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void; reject: (error: Error) => void }> = [];
  let stderr = "";
  let exitStatus: ExitStatus | null = null;
  let expectedExit = false;
  const exited = new Promise<ExitStatus>((resolveExit) =>
    child.once("exit", (code, signal) => {
      exitStatus = { code, signal };
      forget();
      resolveExit(exitStatus);
      // No line comes from a process that is gone: fail its waiters now, not at their timeouts.
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${options.name} exited (${signal ?? `exit code ${code}`}) before the expected log line\n${tail()}`));
    }),
  );
  child.once("error", (error) => (stderr += `spawn failed: ${error.message}\n`));

  let partial = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    let index: number;
    while ((index = partial.indexOf("\n")) !== -1) {
      const text = partial.slice(0, index);
      partial = partial.slice(index + 1);
      let line: LogLine | null = null;
      try {
        const parsed: unknown = JSON.parse(text);
        if (isTree(parsed) && typeof parsed["msg"] === "string") line = parsed as unknown as LogLine;
      } catch {
        line = null;
      }
      if (!line) {
        stderr += `${text}\n`;
        continue;
      }
      logs.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));

  const tail = (count = 30): string => {
    const lines = logs.slice(-count).map((line) => JSON.stringify(line));
    const errors = stderr.trim().split("\n").slice(-count).join("\n");
    return `--- ${options.name} log (last ${lines.length}) ---\n${lines.join("\n")}${errors ? `\n--- ${options.name} stderr ---\n${errors}` : ""}`;
  };

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    if (exitStatus !== null) return Promise.reject(new Error(`${options.name} has exited; the expected log line never came\n${tail()}`));
    return new Promise((resolveLine, reject) => {
      const waiter = {
        test: predicate,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolveLine(line);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`${options.name}: the expected log line did not come within ${timeoutMs} ms\n${tail()}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL"): Promise<ExitStatus> => {
    expectedExit = true;
    if (exitStatus === null) child.kill(signal);
    return exited;
  };

  const stop = async (): Promise<void> => {
    if (exitStatus !== null) return;
    expectedExit = true;
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const status = await Promise.race([exited, new Promise<null>((done) => (timer = setTimeout(() => done(null), STOP_GRACE_MS)))]);
    clearTimeout(timer);
    if (status === null) {
      child.kill("SIGKILL");
      await exited;
      throw new Error(`${options.name} did not stop within ${STOP_GRACE_MS} ms of SIGTERM (killed)\n${tail()}`);
    }
    if (status.code !== 0) throw new Error(`${options.name} stopped with ${status.signal ?? `exit code ${status.code}`}\n${tail()}`);
  };

  teardown.add(`stopping node ${options.name}`, async () => {
    if (process.env[NODE_LOGS_ENV] === "1") process.stderr.write(`${tail(Number.MAX_SAFE_INTEGER)}\n`);
    // A node that ended on its own during the test crashed: that fails the test.
    const crashed = exitStatus !== null && !expectedExit ? exitStatus : null;
    await stop();
    if (crashed) throw new Error(`${options.name} exited by itself during the test (${crashed.signal ?? `exit code ${crashed.code}`})\n${tail()}`);
  });

  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const running = waitForLog((line) => line.msg === RUNNING, startTimeoutMs);
  const outcome = await Promise.race([running.then(() => null), exited]).catch((error: Error) => error);
  if (outcome !== null) {
    running.catch(() => {});
    expectedExit = true;
    if (outcome instanceof Error) {
      child.kill("SIGKILL");
      await exited;
      throw new NodeStartError(`${options.name} was not running within ${startTimeoutMs} ms (${cliCommand().what})\n${tail()}`, exitStatus, stderr, logs);
    }
    throw new NodeStartError(`${options.name} exited at start (${outcome.signal ?? `exit code ${outcome.code}`})\n${tail()}`, outcome, stderr, logs);
  }

  const portOf = (msg: string): number => {
    const line = logs.find((l) => l.msg === msg);
    return typeof line?.["port"] === "number" ? line["port"] : 0;
  };
  const ircPort = portOf("IRC listening");
  if (ircPort === 0) throw new Error(`${options.name} is running but logged no "IRC listening" port\n${tail()}`);
  const httpPort = portOf("HTTP listening");
  return {
    name: options.name,
    host,
    ircPort,
    httpPort,
    ftpPort: portOf("FTP listening"),
    pid: child.pid!,
    dataDir,
    logs,
    get stderr() {
      return stderr;
    },
    exited,
    get httpBase() {
      if (httpPort === 0) throw new Error(`${options.name} was started without HTTP`);
      return `http://${host}:${httpPort}`;
    },
    kill,
    stop,
    waitForLog,
    tail,
  };
}
