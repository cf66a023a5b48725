/**
 * The multi-node harness: real `cmymessage serve` processes sharing a Redis of the
 * test's own and a PostgreSQL database made for the run, plus (netns.ts) network
 * namespaces to cut one node off the network.
 *
 *   const redis = await startRedis(t);
 *   const db = await freshPostgresDatabase(t);
 *   const [a, b] = await Promise.all(["a", "b"].map((name) => startNode(t, { name, redisUrl: redis.url, databaseUrl: db.url })));
 *
 * Everything started for a test `t` is undone when it ends, last started first
 * (teardown.ts). Suites that need what is missing here skip with the reason, or
 * fail when CI says they are mandatory (see `clusterSuite`).
 */
import { randomBytes } from "node:crypto";
import { adminQuery, POSTGRES_ENV, postgresBaseUrl } from "./databases.js";
import { gatedSuite } from "./gated-suite.js";
import { netnsUnavailable, REQUIRE_NETNS_ENV } from "./netns.js";
import { startNode, type ClusterNode, type ConfigTree } from "./cluster-node.js";
import { findOnPath, startRedis, type RedisServer } from "./redis-server.js";
import { teardownOf, type AfterHook, type Teardown } from "./teardown.js";

export { startRedis, redisPing, freePort, findOnPath, type RedisServer, type RedisOptions } from "./redis-server.js";
export { cliCommand } from "./cli-command.js";
export { startNode, mergeConfig, NODE_TEST_CONFIG, NodeStartError, type ClusterNode, type NodeOptions, type LogLine, type ConfigTree, type ExitStatus } from "./cluster-node.js";
export { startNetnsHosts, netnsUnavailable, REQUIRE_NETNS_ENV, type NetnsNetwork, type NetnsHost } from "./netns.js";
export { Teardown, teardownOf, type AfterHook } from "./teardown.js";

/** CI sets this to 1: a missing redis-server or PostgreSQL then fails the cluster suites instead of skipping them. */
export const REQUIRE_CLUSTER_ENV = "CMY_TEST_REQUIRE_CLUSTER";

/** Why the cluster suites cannot run here, or null when they can. */
export function clusterUnavailable(): string | null {
  const missing: string[] = [];
  if (!findOnPath("redis-server")) missing.push("redis-server is not on PATH (Debian package redis-server)");
  if (postgresBaseUrl() === undefined) missing.push(`${POSTGRES_ENV} is not set (e.g. postgres://postgres@127.0.0.1:5432/test)`);
  return missing.length === 0 ? null : `the cluster suite did not run: ${missing.join("; ")}`;
}

/**
 * Registers `body` as `describe(title)` when Redis and PostgreSQL are there; otherwise
 * one test of that name skipped with the reason, or failed with it when
 * CMY_TEST_REQUIRE_CLUSTER=1 (gated-suite.ts).
 */
export function clusterSuite(title: string, body: () => void): void {
  gatedSuite(title, [{ reason: clusterUnavailable(), requireEnv: REQUIRE_CLUSTER_ENV }], body);
}

/** A cluster suite that also needs network namespaces (root, `ip`); CMY_TEST_REQUIRE_NETNS=1 makes those mandatory. */
export function netnsClusterSuite(title: string, body: () => void): void {
  gatedSuite(
    title,
    [
      { reason: clusterUnavailable(), requireEnv: REQUIRE_CLUSTER_ENV },
      { reason: netnsUnavailable(), requireEnv: REQUIRE_NETNS_ENV },
    ],
    body,
  );
}

export interface PostgresDatabase {
  /** The database's name, cmy_cluster_<random>. */
  readonly name: string;
  /** postgres://… naming this database. */
  readonly url: string;
  /** The same database reached through `host:port` (a forwarder, e.g. on a test bridge). */
  via(host: string, port: number): string;
}

/**
 * A database of its own for one test (CREATE DATABASE on the server named by
 * CMY_TEST_POSTGRES_URL), dropped WITH (FORCE) when the test ends: cluster nodes
 * use the default schema, as in production, so a schema per test would not isolate them.
 */
export async function freshPostgresDatabase(owner: AfterHook | Teardown): Promise<PostgresDatabase> {
  const base = postgresBaseUrl();
  if (base === undefined) throw new Error(`${POSTGRES_ENV} is not set`);
  const name = `cmy_cluster_${randomBytes(6).toString("hex")}`;
  await adminQuery(base, `CREATE DATABASE "${name}"`);
  teardownOf(owner).add(`dropping database ${name}`, () => adminQuery(base, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    via(host, port) {
      const through = new URL(url);
      through.hostname = host;
      through.port = String(port);
      return through.toString();
    },
  };
}

export interface Cluster {
  readonly redis: RedisServer;
  readonly db: PostgresDatabase;
  /** In the order of the names given. */
  readonly nodes: readonly ClusterNode[];
}

/**
 * A Redis, a fresh database and one node per name, all started for `owner`; the
 * nodes start together (they share the database from the first migration on).
 */
export async function startCluster(
  owner: AfterHook | Teardown,
  names: readonly string[],
  options: { readonly config?: ConfigTree; readonly http?: boolean } = {},
): Promise<Cluster> {
  const teardown = teardownOf(owner);
  const db = await freshPostgresDatabase(teardown);
  const redis = await startRedis(teardown);
  const nodes = await Promise.all(
    names.map((name) =>
      startNode(teardown, {
        name,
        redisUrl: redis.url,
        databaseUrl: db.url,
        ...(options.config && { config: options.config }),
        ...(options.http !== undefined && { http: options.http }),
      }),
    ),
  );
  return { redis, db, nodes };
}
