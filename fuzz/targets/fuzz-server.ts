import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import { startServer, type RunningServer } from "../../src/server.js";

/** An error the server logged (a command that threw, a request that failed): a finding. */
export class ServerLoggedError extends Error {
  override readonly name = "ServerLoggedError";
}

export interface FuzzServer {
  readonly server: RunningServer;
  /** Throws a ServerLoggedError for the first error the server logged since the last call. */
  checkLog(): void;
  stop(): Promise<void>;
}

/**
 * The real server on loopback port 0 with a fresh data directory, limits opened wide so
 * the fuzzer is not throttled (flood control on, but with room for everything a run sends;
 * login pacing and lockouts in milliseconds), nothing that reaches out (push off).
 * Everything logged at error level is kept: the server survives a command that throws,
 * but the fuzzer must hear about it.
 */
export async function startFuzzServer(services: { readonly irc?: boolean; readonly http?: boolean }): Promise<FuzzServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-fuzz-server-"));
  const logged: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logged.push(chunk.toString("utf8"));
      callback();
    },
  });
  const config = validateConfig(
    {
      dataDir,
      log: { level: "error" },
      http: { listen: services.http ? ["127.0.0.1:0"] : [] },
      ftp: { listen: [] },
      push: { enabled: false },
      metrics: { enabled: false },
      accounts: { registrationsPerAddressPerHour: 0 },
      auth: {
        scramIterations: 16,
        bruteForce: {
          backoffBaseSeconds: 0.001,
          backoffMaxSeconds: 0.001,
          accountAddressLockoutAfter: 1_000_000,
          addressLockoutAfter: 1_000_000,
          accountFailuresPerSecond: 1000,
          failureDelayMaxSeconds: 0.01,
        },
      },
      irc: {
        listen: services.irc ? ["127.0.0.1:0"] : [],
        tlsListen: [],
        flood: { enabled: true, burst: 1_000_000, linesPerSecond: 1_000_000, maxQueuedLines: 100_000, registrationLines: 1_000_000 },
      },
    },
    "fuzz",
  );
  const log = pino({ level: "error" }, sink);
  const server = await startServer(config, { log, reload: () => Promise.resolve(config) });
  return {
    server,
    checkLog() {
      const first = logged.shift();
      logged.length = 0;
      if (first !== undefined) throw new ServerLoggedError(describeLogLine(first));
    },
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A pino JSON line as a developer wants to read it: the message and the error's stack. */
function describeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { stack?: string; message?: string } };
    return `the server logged an error: ${entry.msg ?? "(no message)"}\n${entry.err?.stack ?? entry.err?.message ?? line}`;
  } catch {
    return `the server logged an error: ${line}`;
  }
}
