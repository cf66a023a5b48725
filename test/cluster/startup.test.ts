/**
 * Starting a cluster node: Redis with SQLite is refused (exit code 2, a message
 * naming both settings), since nodes share accounts and history in PostgreSQL.
 * (/readyz of a running node: failover.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { NodeStartError, startNode } from "../support/cluster.js";

const REFUSAL =
  "cluster.redisUrl (CMY_REDIS_URL) needs database.url (CMY_DATABASE_URL) on PostgreSQL: nodes share their accounts and history there; SQLite is one node's file";

test("cluster: Redis with SQLite is refused at start with exit code 2 and a message saying why", async (t) => {
  // Refused before any connection is tried: no Redis needs to run at this address.
  const error = await startNode(t, { name: "lonely", redisUrl: "redis://127.0.0.1:1", databaseUrl: "" }).then(
    (node) => new Error(`the node started (pid ${node.pid}) instead of refusing\n${node.tail(10)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof NodeStartError, String((error as Error).message ?? error));
  assert.equal(error.exit?.code, 2, `exit code 2 (configuration), got ${JSON.stringify(error.exit)}\n${error.stderr}`);
  assert.ok(error.stderr.includes(REFUSAL), `stderr names both settings:\n${error.stderr}`);
});
