/**
 * A Redis of the test's own: `redis-server` from PATH on a free port, nothing saved
 * to disk (`--save "" --appendonly no`), so a restart comes back empty, as a Redis
 * that lost its memory does. Never the machine's shared instance on 6379.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { onProcessExit, teardownOf, type AfterHook, type Teardown } from "./teardown.js";

/** The first executable `name` on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port nobody listens on right now on `host` (the kernel's pick, released at once). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a fresh connection: true when Redis answers +PONG within `timeoutMs`. */
export function redisPing(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = "";
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write("*1\r\n$4\r\nPING\r\n"));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.on("error", () => done(false));
  });
}

export interface RedisServer {
  /** redis://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Whether the process runs now. */
  readonly running: boolean;
  /** Its process id while it runs. */
  readonly pid: number | undefined;
  /** SIGTERM, and waits until the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), and waits until the process is gone. */
  kill(): Promise<void>;
  /** Stops it if it runs, then starts a new, empty one on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
}

export interface RedisOptions {
  /** Address to listen on (default 127.0.0.1); e.g. a test bridge's address so network namespaces reach it. */
  readonly bind?: string;
}

/** How long a start may take before it counts as failed. */
const REDIS_START_MS = 10_000;
/** Ports tried when the picked one was taken between picking and binding. */
const PORT_ATTEMPTS = 5;

/** Starts a Redis of its own for the test (or Teardown) `owner`; stopped and its directory removed at the end. */
export async function startRedis(owner: AfterHook | Teardown, options: RedisOptions = {}): Promise<RedisServer> {
  const binary = findOnPath("redis-server");
  if (!binary) throw new Error("redis-server is not on PATH (Debian: apt-get install redis-server)");
  const host = options.bind ?? "127.0.0.1";
  const dir = await mkdtemp(join(tmpdir(), "cmy-redis-"));
  const teardown = teardownOf(owner);
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = "";
  let port = 0;
  teardown.add("removing the Redis directory", () => rm(dir, { recursive: true, force: true }));

  const launch = async (): Promise<void> => {
    output = "";
    const args = ["--port", String(port), "--bind", host, "--save", "", "--appendonly", "no", "--dir", dir];
    // Tests connect from the bridge address too, and set no password.
    args.push("--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning", "--logfile", "");
    const started = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    const forget = onProcessExit(() => started.kill("SIGKILL"));
    let gone = false;
    exited = new Promise((resolve) =>
      started.once("exit", () => {
        gone = true;
        forget();
        if (child === started) child = null;
        resolve();
      }),
    );
    started.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    started.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const deadline = Date.now() + REDIS_START_MS;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`redis-server exited at start (port ${port}): ${output.trim().slice(-500)}`);
      if (await redisPing(host, port, 500)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    started.kill("SIGKILL");
    await exited;
    throw new Error(`redis-server did not answer PING on ${host}:${port} within ${REDIS_START_MS} ms: ${output.trim().slice(-500)}`);
  };

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running) return;
    running.kill(name);
    await exited;
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort(host);
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !/Address already in use/i.test(output)) throw error;
    }
  }
  teardown.add(`stopping Redis on ${host}:${port}`, () => signal("SIGKILL"));

  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    get running() {
      return child !== null;
    },
    get pid() {
      return child?.pid;
    },
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    async restart() {
      await signal("SIGTERM");
      await launch();
    },
  };
}
