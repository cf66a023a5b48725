/**
 * The PostgreSQL pool when a connection dies under a running query (server restart,
 * a network cut, pg_terminate_backend): the query fails, the process does not crash,
 * and the next queries run on fresh connections.
 *
 * Regression: node-postgres fails the running query and also emits 'error' on the
 * client, which pg-pool only listens for on idle clients — an uncaught exception
 * ('Connection terminated unexpectedly') that took the whole server down. The test
 * runner reports an uncaught exception as a failure of the test.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import pg from "pg";
import { openStore } from "../../src/store/database.js";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { HistoryWriter } from "../../src/core/chat/history-writer.js";
import { forEachDialect, postgresBaseUrl } from "../support/databases.js";

/** Terminates the server process running a query that contains `marker`; returns how many it ended. */
async function terminate(marker: string): Promise<number> {
  const admin = new pg.Client({ connectionString: postgresBaseUrl()!, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    const { rows } = await admin.query("select pg_terminate_backend(pid) as ended from pg_stat_activity where query like $1 and pid <> pg_backend_pid()", [`%${marker}%`]);
    return rows.filter((r: { ended: boolean }) => r.ended).length;
  } finally {
    await admin.end();
  }
}

/**
 * A TCP relay to the PostgreSQL server that the test can cut: every connection is
 * closed at once with no goodbye from the server — what a network failure looks like
 * (pg_terminate_backend sends an error message first, which hides the problem).
 */
async function cuttableRelay(url: string): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const upstream = new URL(url);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const server = connect(Number(upstream.port || 5432), upstream.hostname);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relayed = new URL(url);
  relayed.hostname = "127.0.0.1";
  relayed.port = String((server.address() as AddressInfo).port);
  return {
    url: relayed.toString(),
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

forEachDialect(
  "store connections that die",
  (target) => {
    test("the network cut under a running query fails that query only; the process survives and the store keeps working", async (t) => {
      const database = await target.create(t);
      await (await database.open()).close(); // migrated, directly
      const relay = await cuttableRelay(database.url);
      t.after(() => relay.close());
      const store = await openStore({ url: relay.url, dataDir: database.dataDir, migrate: false });
      t.after(() => store.close());
      const accounts = new AccountsRepository(store.db);
      const running = sql`select pg_sleep(30)`.execute(store.db);
      running.catch(() => {});
      await sleep(200);
      relay.cut();
      await assert.rejects(running, /Connection terminated unexpectedly/, "the query's caller is told");
      // The client's 'error' event comes with the failure; give it the time to crash us if it can.
      await sleep(200);

      assert.deepEqual(await accounts.list(), [], "the next query runs on a fresh connection");
      const writer = new HistoryWriter(new MessagesRepository(store));
      await writer.append({ msgid: "after-cut", kind: "privmsg", target: "#c", targetDisplay: "#c", senderNick: "n", senderMask: "u@h", senderAccount: null, recipientAccount: null, time: 1, text: "still here", tags: null });
      const rows = await new MessagesRepository(store).query({ target: "#c", direction: "before", from: null, to: null, limit: 10 });
      assert.deepEqual(rows.map((m) => m.text), ["still here"]);
    });

    test("every connection of the pool killed at once (a server restart): the store recovers by itself", async (t) => {
      const database = await target.create(t);
      const store = await database.open();
      const accounts = new AccountsRepository(store.db);
      const marker = `cmy_restart_${process.pid}_${Date.now()}`;
      const running = [0, 1, 2].map((i) => sql`select pg_sleep(30) as ${sql.ref(`${marker}_${i}`)}`.execute(store.db));
      for (const query of running) query.catch(() => {});
      let ended = 0;
      for (let i = 0; i < 50 && ended < 3; i++) {
        ended += await terminate(marker);
        if (ended < 3) await sleep(50);
      }
      assert.equal(ended, 3);
      const outcomes = await Promise.allSettled(running);
      assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "rejected", "rejected"]);
      await sleep(200);
      assert.notEqual(await accounts.create("Back", "back", null, [], 1), "name-taken");
      assert.equal((await accounts.findByName("back"))?.name, "Back");
    });
  },
  { dialects: ["postgres"] },
);
