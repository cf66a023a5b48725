/**
 * A real server with FTP on, for the FTP tests: a fresh data directory, accounts
 * made through the domain's AccountService on the same data (before start, or
 * while the server runs: SQLite WAL allows both), and the server's log records
 * kept so a test can check that something was logged.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import type { Config, ConfigInput } from "../../src/config/schema.js";
import { openDomain } from "../../src/domain.js";
import { foldCase } from "../../src/core/chat/names.js";
import { startServer, type RunningServer } from "../../src/server.js";

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };
export type FtpServerConfig = DeepPartial<ConfigInput>;

/** The account every FTP test logs in with unless it makes its own. */
export const USER = "alice";
export const PASSWORD = "Correct-Horse-42-battery";

export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface FtpTestServer {
  readonly server: RunningServer;
  readonly config: Config;
  readonly dataDir: string;
  /** Port of the first FTP listener. */
  readonly ftpPort: number;
  /** Every record the server logged at `info` or above, parsed. */
  readonly logs: LogRecord[];
  /** `<dataDir>/files/<account>`: the account's space on disk (made if missing). */
  home(account?: string): Promise<string>;
  addUser(name: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

let ipv6: Promise<boolean> | undefined;

/** Whether this machine can listen on and connect to ::1 (CI containers often cannot). */
export function hasIPv6Loopback(): Promise<boolean> {
  ipv6 ??= new Promise<boolean>((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once("error", () => resolve(false));
    server.listen({ host: "::1", port: 0 }, () => {
      const socket = net.connect({ host: "::1", port: (server.address() as net.AddressInfo).port }, () => {
        socket.destroy();
        server.close(() => resolve(true));
      });
      socket.once("error", () => server.close(() => resolve(false)));
    });
  });
  return ipv6;
}

async function addAccounts(config: Config, users: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const domain = await openDomain(config, pino({ level: "silent" }));
  try {
    for (const [name, password] of users) {
      const result = await domain.accounts.register(name, password, null);
      if (!result.ok) throw new Error(`cannot make account ${name}: ${result.reason}`);
    }
  } finally {
    await domain.close();
  }
}

/**
 * Starts the server with FTP on 127.0.0.1:0 (override with `ftp.listen`), IRC on an
 * ephemeral loopback port, HTTP off, a quick brute-force back-off (a wrong password
 * in one test must not throttle the next second of it) and the account `alice`.
 */
export async function startFtpServer(input: FtpServerConfig = {}, users: ReadonlyArray<readonly [string, string]> = [[USER, PASSWORD]]): Promise<FtpTestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-ftp-"));
  const tree = {
    ...input,
    dataDir,
    log: { level: "info", ...input.log },
    server: { shutdownTimeoutSeconds: 1, ...input.server },
    http: { ...input.http, listen: input.http?.listen ?? [] },
    ftp: { ...input.ftp, listen: input.ftp?.listen ?? ["127.0.0.1:0"] },
    // Tests create many accounts from 127.0.0.1; the tests of this limit set it themselves.
    accounts: { registrationsPerAddressPerHour: 0, ...input.accounts },
    auth: {
      ...input.auth,
      bruteForce: { backoffBaseSeconds: 0.01, backoffMaxSeconds: 0.02, accountFailuresPerSecond: 100, ...input.auth?.bruteForce },
    },
    irc: { listen: ["127.0.0.1:0"], tlsListen: [], ...input.irc, flood: { enabled: false, ...input.irc?.flood } },
  };
  const config = validateConfig(tree, "test");
  await addAccounts(config, users);
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const server = await startServer(config, { log: pino({ level: "info" }, sink), reload: async () => config });
  return {
    server,
    config,
    dataDir,
    ftpPort: server.ftp[0]?.port ?? 0,
    logs,
    async home(account = USER) {
      const dir = join(dataDir, "files", foldCase(account));
      await mkdir(dir, { recursive: true });
      return dir;
    },
    addUser: (name, password) => addAccounts(config, [[name, password]]),
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
