/**
 * A real server for the accounts and history tests, on a data directory (and
 * database) that can outlive it: `restart()` stops the server and starts a new
 * one on the same data, which is what persistence tests need. SQLite by default;
 * PostgreSQL (a fresh schema per test) when asked and CMY_TEST_POSTGRES_URL is set.
 *
 * Also here: raw clients from a chosen loopback address, an irc-framework client
 * that can log in with SASL, the `cmymessage user add` CLI, and (from tcp-proxy.ts)
 * a TCP proxy that can cut the server off from PostgreSQL.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import IRC from "irc-framework";
import pg from "pg";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { openStore, type Store } from "../../src/store/database.js";
import { POSTGRES_ENV, POSTGRES_SKIPPED, withSearchPath } from "./databases.js";
import { RawClient } from "./raw-client.js";
import { FrameworkClient, type FrameworkOptions } from "./framework-client.js";
import { cliCommand } from "./cli-command.js";

const execFileAsync = promisify(execFile);
const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };
export type ServerConfig = DeepPartial<ConfigInput>;

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

// ── databases ────────────────────────────────────────────────────────────────

export type DatabaseKind = "sqlite" | "postgres";
export const DATABASE_LABEL: Record<DatabaseKind, string> = { sqlite: "SQLite", postgres: "PostgreSQL" };

export function postgresBaseUrl(): string | undefined {
  const url = process.env[POSTGRES_ENV]?.trim();
  return url ? url : undefined;
}

/**
 * Registers `body` once per database: `describe("<title> [SQLite]")` always and
 * `describe("<title> [PostgreSQL]")` when CMY_TEST_POSTGRES_URL is set (otherwise one
 * skipped test of that name says why it did not run).
 */
export function forEachDatabase(title: string, body: (kind: DatabaseKind) => void, kinds: readonly DatabaseKind[] = ["sqlite", "postgres"]): void {
  for (const kind of kinds) {
    if (kind === "postgres" && postgresBaseUrl() === undefined) {
      test(`${title} [PostgreSQL]`, { skip: POSTGRES_SKIPPED }, () => {});
      continue;
    }
    describe(`${title} [${DATABASE_LABEL[kind]}]`, () => body(kind));
  }
}

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Where a server keeps its state: a data directory and a database, removed when the test ends. */
export interface ServerHome {
  readonly kind: DatabaseKind;
  readonly dataDir: string;
  /** `database.url` for this home: "" for SQLite (in dataDir), or PostgreSQL with its own schema. */
  readonly databaseUrl: string;
  /** The PostgreSQL schema, or null. */
  readonly schema: string | null;
  /** Runs `close` (before the data goes) when the test ends; the last registered runs first. */
  track(close: () => Promise<void>): void;
}

let schemaCounter = 0;

/** Whatever runs clean-ups at the end: a test's context, or a suite's `after` (see `suiteScope`). */
export interface Scope {
  after(fn: () => Promise<void>): void;
}

/** A Scope for a describe() block: register `scope.run` as the suite's `after` hook. */
export function suiteScope(): Scope & { run(): Promise<void> } {
  const cleanups: Array<() => Promise<void>> = [];
  return {
    after: (fn) => void cleanups.push(fn),
    async run() {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

export async function createHome(t: Scope | TestContext, kind: DatabaseKind = "sqlite"): Promise<ServerHome> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-acct-"));
  let databaseUrl = "";
  let schema: string | null = null;
  const base = postgresBaseUrl();
  if (kind === "postgres") {
    if (base === undefined) throw new Error(`${POSTGRES_ENV} is not set`);
    schema = `cmy_irc_${process.pid}_${++schemaCounter}_${randomBytes(3).toString("hex")}`;
    await adminQuery(base, `CREATE SCHEMA "${schema}"`);
    databaseUrl = withSearchPath(base, schema);
  }
  const closers: Array<() => Promise<void>> = [];
  (t as Scope).after(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    if (schema !== null && base !== undefined) await adminQuery(base, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await rm(dataDir, { recursive: true, force: true });
  });
  return { kind, dataDir, databaseUrl, schema, track: (close) => void closers.push(close) };
}

/** The PostgreSQL URL of `home`, but reaching the server through `host:port` (a proxy). */
export function postgresUrlVia(home: ServerHome, host: string, port: number): string {
  const base = postgresBaseUrl();
  if (base === undefined || home.schema === null) throw new Error("not a PostgreSQL home");
  const url = new URL(base);
  url.hostname = host;
  url.port = String(port);
  return withSearchPath(url.toString(), home.schema);
}

/** Opens the home's database directly (to look at what was stored); closed with the test. */
export async function openHomeStore(home: ServerHome): Promise<Store> {
  const store = await openStore({ url: home.databaseUrl, dataDir: home.dataDir, migrate: false });
  home.track(() => store.close());
  return store;
}

// ── the server ───────────────────────────────────────────────────────────────

/** Starts the real server on `home` with test defaults (ephemeral loopback ports, no HTTP or FTP, quick back-off). */
export async function bootServer(home: ServerHome, input: ServerConfig = {}): Promise<RunningServer> {
  const tree = {
    ...input,
    dataDir: home.dataDir,
    log: { level: "silent", ...input.log },
    server: { shutdownTimeoutSeconds: 1, ...input.server },
    database: { url: home.databaseUrl, ...input.database },
    http: { ...input.http, listen: input.http?.listen ?? [] },
    ftp: { ...input.ftp, listen: input.ftp?.listen ?? [] },
    // Tests create many accounts from 127.0.0.1; the tests of this limit set it themselves.
    accounts: { registrationsPerAddressPerHour: 0, ...input.accounts },
    auth: {
      ...input.auth,
      // One failed login from 127.0.0.1 must not throttle every later test step for a second.
      bruteForce: { backoffBaseSeconds: 0.01, backoffMaxSeconds: 0.02, accountFailuresPerSecond: 100, ...input.auth?.bruteForce },
    },
    irc: {
      listen: ["127.0.0.1:0"],
      tlsListen: [],
      ...input.irc,
      flood: { enabled: false, ...input.irc?.flood },
    },
  };
  const config = validateConfig(tree, "test");
  return startServer(config, { log: pino({ level: "silent" }), reload: async () => config });
}

export interface RawOptions {
  /** Caps to request before registering. */
  caps?: readonly string[];
  /** Local address to connect from (any of 127.0.0.0/8 works on Linux). */
  localAddress?: string;
  tls?: boolean;
  /** Channel whose end of NAMES marks "ready"; null to stop at the end of the MOTD. */
  readyChannel?: string | null;
}

export interface SaslLibOptions extends FrameworkOptions {
  /** SASL PLAIN credentials for irc-framework's `account` option. */
  account?: { account: string; password: string };
}

export interface AccountsFixture {
  readonly home: ServerHome;
  readonly server: RunningServer;
  readonly port: number;
  /** TLS port, or 0 when the config has no TLS listener. */
  readonly tlsPort: number;
  /** A raw client that has registered as `nick` (and, by default, auto-joined #general). */
  raw(nick: string, options?: RawOptions): Promise<RawClient>;
  /** A raw client that has only connected. */
  rawConnect(options?: { tls?: boolean; localAddress?: string }): Promise<RawClient>;
  /** An irc-framework client (the shared wrapper), registered and done auto-joining #general. */
  framework(nick: string, options?: FrameworkOptions & { port?: number }): Promise<FrameworkClient>;
  /** An irc-framework client that may log in with SASL PLAIN. */
  library(nick: string, options?: SaslLibOptions): Promise<IrcLibClient>;
  track<C extends RawClient | FrameworkClient | IrcLibClient>(client: C): C;
  /** Closes every client and stops the server; then starts a new one on the same home (with `config`, default the same). */
  restart(config?: ServerConfig): Promise<void>;
}

async function closeClient(client: RawClient | FrameworkClient | IrcLibClient): Promise<void> {
  if (client instanceof RawClient) {
    client.close();
    await client.closed;
  } else await client.close();
}

export async function openFixture(t: Scope | TestContext, config: ServerConfig = {}, options: { home?: ServerHome; kind?: DatabaseKind } = {}): Promise<AccountsFixture> {
  const home = options.home ?? (await createHome(t, options.kind ?? "sqlite"));
  let server = await bootServer(home, config);
  let currentConfig = config;
  let opened: Array<RawClient | FrameworkClient | IrcLibClient> = [];
  const stopAll = async (): Promise<void> => {
    const clients = opened;
    opened = [];
    await Promise.all(clients.map(closeClient));
    await server.stop();
  };
  home.track(stopAll);
  const fixture: AccountsFixture = {
    home,
    get server() {
      return server;
    },
    get port() {
      return server.irc.plain[0]?.port ?? 0;
    },
    get tlsPort() {
      return server.irc.tls[0]?.port ?? 0;
    },
    async raw(nick, rawOptions = {}) {
      const client = fixture.track(await connectRaw(rawOptions.tls ? fixture.tlsPort : fixture.port, rawOptions));
      const caps = rawOptions.caps ?? [];
      if (caps.length > 0) client.send(`CAP REQ :${caps.join(" ")}`);
      client.send(`NICK ${nick}`);
      client.send(`USER ${nick} 0 * :${nick} test`);
      if (caps.length > 0) client.send("CAP END");
      await client.waitFor(/ (376|422) /);
      const ready = rawOptions.readyChannel === undefined ? "#general" : rawOptions.readyChannel;
      if (ready !== null) await client.waitFor(new RegExp(` 366 ${escapeRegExp(nick)} ${escapeRegExp(ready)} `, "i"));
      return client;
    },
    async rawConnect(connectOptions = {}) {
      return fixture.track(await connectRaw(connectOptions.tls ? fixture.tlsPort : fixture.port, connectOptions));
    },
    async framework(nick, frameworkOptions = {}) {
      const port = frameworkOptions.port ?? (frameworkOptions.tls ? fixture.tlsPort : fixture.port);
      return fixture.track(await FrameworkClient.connect(port, nick, frameworkOptions));
    },
    async library(nick, libOptions = {}) {
      return fixture.track(await IrcLibClient.connect(libOptions.tls ? fixture.tlsPort : fixture.port, nick, libOptions));
    },
    track(client) {
      opened.push(client);
      return client;
    },
    async restart(next) {
      await stopAll();
      currentConfig = next ?? currentConfig;
      server = await bootServer(home, currentConfig);
    },
  };
  return fixture;
}

function connectRaw(port: number, options: { tls?: boolean; localAddress?: string }): Promise<RawClient> {
  return RawClient.connect(port, "127.0.0.1", { ...(options.tls && { tls: true }), ...(options.localAddress && { localAddress: options.localAddress }) });
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ── an irc-framework client with SASL ────────────────────────────────────────

/**
 * irc-framework connected with its own SASL PLAIN support (`account` option): the
 * way a real client library logs in. Raw server lines are recorded; `next` waits
 * for an event emitted after it is called.
 */
export class IrcLibClient {
  readonly client = new IRC.Client();
  readonly raw: string[] = [];
  readonly #rawWaiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  readonly closed: Promise<void>;
  #closed = false;

  private constructor(readonly nick: string) {
    this.client.on("raw", ({ line, from_server }) => {
      if (!from_server) return;
      const text = line.replace(/[\r\n]+$/, "");
      const index = this.#rawWaiters.findIndex((w) => w.test(text));
      if (index !== -1) this.#rawWaiters.splice(index, 1)[0]!.resolve(text);
      else this.raw.push(text);
    });
    this.closed = new Promise((done) =>
      this.client.on("close", () => {
        this.#closed = true;
        done();
      }),
    );
  }

  static async connect(port: number, nick: string, options: SaslLibOptions = {}): Promise<IrcLibClient> {
    const self = new IrcLibClient(nick);
    if (options.caps && options.caps.length > 0) self.client.requestCap([...options.caps]);
    const connectOptions: IRC.ConnectOptions & { account?: { account: string; password: string } } = {
      host: "127.0.0.1",
      port,
      nick,
      username: nick,
      gecos: `${nick} test`,
      auto_reconnect: false,
      ping_interval: 0,
      ping_timeout: 0,
      ...(options.tls && { tls: true, rejectUnauthorized: false }),
      ...(options.account && { account: options.account }),
    };
    const registered = self.next<{ nick: string }>("registered");
    self.client.connect(connectOptions);
    await registered;
    const ready = options.readyChannel === undefined ? "#general" : options.readyChannel;
    if (ready !== null) await self.waitRaw(new RegExp(` 366 ${escapeRegExp(nick)} ${escapeRegExp(ready)} `, "i"));
    return self;
  }

  /** The next `event` (any irc-framework event name) matching `predicate`, emitted after this call. */
  next<T>(event: string, predicate: (payload: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const emitter = this.client as unknown as EventEmitter;
    return new Promise((resolve, reject) => {
      const listener = (payload: T): void => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        emitter.removeListener(event, listener);
        resolve(payload);
      };
      const timer = setTimeout(() => {
        emitter.removeListener(event, listener);
        reject(new Error(`${this.nick}: timed out waiting for '${event}'; raw lines:\n${this.raw.slice(-30).join("\n")}`));
      }, timeoutMs);
      emitter.on(event, listener);
    });
  }

  /** The first raw server line (already received or still to come) matching `pattern`; consumed. */
  waitRaw(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const index = this.raw.findIndex((line) => pattern.test(line));
    if (index !== -1) return Promise.resolve(this.raw.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        test: (line: string) => pattern.test(line),
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#rawWaiters.splice(this.#rawWaiters.indexOf(waiter), 1);
        reject(new Error(`${this.nick}: timed out waiting for ${String(pattern)}; raw lines:\n${this.raw.slice(-30).join("\n")}`));
      }, timeoutMs);
      this.#rawWaiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.client.quit("test done");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((done) => (timer = setTimeout(done, 2000)))]);
    clearTimeout(timer);
  }
}

// ── the CLI ──────────────────────────────────────────────────────────────────

/** `cmymessage user add NAME --password PW` on `home`'s data, as an operator would run it (no shell). */
export async function cliUserAdd(home: ServerHome, name: string, password: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, CMY_DATA_DIR: home.dataDir, CMY_LOG_LEVEL: "warn" };
  delete env["CMY_CONFIG"];
  if (home.databaseUrl !== "") env["CMY_DATABASE_URL"] = home.databaseUrl;
  else delete env["CMY_DATABASE_URL"];
  const { stdout } = await execFileAsync(process.execPath, [...cliCommand().args, "user", "add", name, "--password", password], {
    cwd: REPO,
    env,
    timeout: 30_000,
  });
  return stdout;
}

// ── a TCP proxy that can cut the database off (tcp-proxy.ts) ─────────────────

export { TcpProxy } from "./tcp-proxy.js";
