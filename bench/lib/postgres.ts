/**
 * PostgreSQL for the benchmarks: a fresh schema per server (the server's pool
 * works in it alone through `options=-c search_path=<schema>`), or a fresh
 * database per cluster (all its nodes share it), dropped afterwards; and the backend processes serving one server's connections, found
 * through /proc, so their CPU can be reported beside the server's.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import pg from "pg";

export const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

export interface BenchSchema {
  readonly schema: string;
  /** The base URL with the search_path option: what `database.url` must be. */
  readonly url: string;
  drop(): Promise<void>;
}

async function adminQuery(baseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

/** `url` with `options=-c search_path=<schema>` added. */
export function withSearchPath(url: string, schema: string): string {
  const separator = url.includes("?") ? "&" : "?";
  return `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** Creates an empty schema `cmy_bench_<pid>_<random>` on the server at `baseUrl`. */
export async function createSchema(baseUrl: string): Promise<BenchSchema> {
  const schema = `cmy_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(baseUrl, `CREATE SCHEMA "${schema}"`);
  return {
    schema,
    url: withSearchPath(baseUrl, schema),
    drop: () => adminQuery(baseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
  };
}

export interface BenchDatabase {
  readonly name: string;
  /** The base URL with its database replaced: what every node's `database.url` must be. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database `cmy_bench_<pid>_<random>` on the server at `baseUrl`
 * (a cluster: nodes share accounts and history, and each migrates at start).
 */
export async function createDatabase(baseUrl: string): Promise<BenchDatabase> {
  const name = `cmy_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  await adminQuery(baseUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // FORCE (PostgreSQL 13+): a node killed at the end may leave a connection behind for a moment.
    drop: () => adminQuery(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** The TCP port of a postgres:// URL (5432 when none is given). */
export function postgresPort(url: string): number {
  try {
    return Number(new URL(url).port) || 5432;
  } catch {
    return 5432;
  }
}

/** Local ports of the TCP connections process `pid` holds to `remotePort` (from /proc/PID/fd and /proc/net/tcp{,6}). */
function localPortsTo(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return new Set();
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith("socket:[")) inodes.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = fields[1]!;
      const remote = fields[2]!;
      if (parseInt(remote.slice(remote.lastIndexOf(":") + 1), 16) !== remotePort) continue;
      if (!inodes.has(fields[9]!)) continue;
      ports.add(parseInt(local.slice(local.lastIndexOf(":") + 1), 16));
    }
  }
  return ports;
}

/**
 * PIDs of the PostgreSQL backends serving process `pid`'s connections to port
 * `pgPort` on this machine: a backend's process title names its client's
 * address and port, e.g. `postgres: 15/main: postgres test 127.0.0.1(41234) idle`.
 */
export function postgresBackendPids(pid: number, pgPort: number): number[] {
  const ports = localPortsTo(pid, pgPort);
  if (ports.size === 0) return [];
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${entry}/cmdline`, "latin1");
    } catch {
      continue;
    }
    if (!title.startsWith("postgres: ")) continue;
    const match = /\((\d+)\)/.exec(title);
    if (match && ports.has(Number(match[1]))) found.push(Number(entry));
  }
  return found;
}
