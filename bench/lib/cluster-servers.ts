/**
 * A cluster of our servers for one benchmark case: a Redis of its own, a fresh
 * PostgreSQL database and N nodes (`node dist/cli/main.js serve`), all pinned to
 * the server CPU; stopped and dropped again when the case is over.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { HEARTBEAT_PREFIX } from "../../src/cluster/wire.js";
import { createDatabase, type BenchDatabase } from "./postgres.js";
import { startOurs, startRedis, type ServerHandle } from "./servers.js";

export interface ClusterStartOptions {
  readonly nodes: number;
  /** CPU for the nodes and Redis, or null for no pinning. */
  readonly cpu: number | null;
  readonly baseDir: string;
  readonly history: boolean;
  /** The PostgreSQL server; each cluster gets a database of its own on it. */
  readonly postgresUrl: string;
  /** Run the first node under `node --cpu-prof` into this directory. */
  readonly cpuProfileDir?: string;
  readonly threadpool?: number;
  /** Another build's entry point (`--ours-dist`). */
  readonly entry?: string;
  /** Called for each process started and stopped, so an interrupted bench can kill what is left. */
  readonly track: (server: ServerHandle) => void;
  readonly untrack: (server: ServerHandle) => void;
}

export interface RunningCluster {
  readonly nodes: readonly ServerHandle[];
  readonly redis: ServerHandle;
  /** Speaks to the cluster's Redis for the bench itself (readiness, INFO); not counted as load. */
  readonly redisClient: Redis;
}

/** The name of the i-th node (CMY_NODE_NAME). */
export const nodeName = (index: number): string => `bench${index + 1}`;

/** How long the nodes may take to join the cluster after they listen. */
const JOIN_TIMEOUT_MS = 20_000;

/** Waits until `count` nodes keep a heartbeat in Redis: each sets it just before it starts serving as a cluster member. */
async function waitForNodes(redis: Redis, count: number): Promise<void> {
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  for (;;) {
    const beating = await redis.keys(`${HEARTBEAT_PREFIX}*`);
    if (beating.length >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${beating.length}/${count} nodes joined the cluster within ${JOIN_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

/**
 * Starts Redis, a database and the nodes (one after another: the first migrates the
 * database), waits until all of them have joined, runs `body`, and stops everything
 * again whatever happens: nodes (SIGINT for the profiled one, so that its profile is
 * written), then Redis, then the database is dropped.
 */
export async function withCluster<T>(options: ClusterStartOptions, body: (cluster: RunningCluster) => Promise<T>): Promise<T> {
  let database: BenchDatabase | null = null;
  let redis: ServerHandle | null = null;
  let redisClient: Redis | null = null;
  const nodes: ServerHandle[] = [];
  try {
    database = await createDatabase(options.postgresUrl);
    redis = await startRedis({ cpu: options.cpu, baseDir: options.baseDir });
    options.track(redis);
    const redisUrl = `redis://127.0.0.1:${redis.port}`;
    for (let i = 0; i < options.nodes; i++) {
      const node = await startOurs({
        cpu: options.cpu,
        baseDir: options.baseDir,
        history: options.history,
        name: nodeName(i),
        env: { CMY_REDIS_URL: redisUrl, CMY_DATABASE_URL: database.url, CMY_NODE_NAME: nodeName(i) },
        ...(options.threadpool !== undefined && { threadpool: options.threadpool }),
        ...(options.entry !== undefined && { entry: options.entry }),
        ...(i === 0 && options.cpuProfileDir !== undefined && { cpuProfileDir: options.cpuProfileDir }),
      });
      nodes.push(node);
      options.track(node);
    }
    redisClient = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redisClient.connect();
    await waitForNodes(redisClient, options.nodes);
    return await body({ nodes, redis, redisClient });
  } finally {
    redisClient?.disconnect();
    await Promise.all(
      nodes.map(async (node, i) => {
        await node.stop(i === 0 && options.cpuProfileDir !== undefined ? "SIGINT" : "SIGTERM", 30_000);
        options.untrack(node);
      }),
    );
    if (redis) {
      await redis.stop();
      options.untrack(redis);
    }
    await database?.drop();
  }
}
