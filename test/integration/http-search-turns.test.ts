/**
 * Searches take turns at the database (`search.maxConcurrent`): on PostgreSQL each holds
 * one of the node's pooled connections while it runs, so searches fired side by side must
 * not take them all from chat. Seen from the database: while a lock holds every search
 * up, no more than maxConcurrent of the server's connections wait on it; the others wait
 * their turn in the server, and one that gets no turn within search.timeoutSeconds is
 * answered 503 search-timeout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { forEachDatabase, openFixture, openHomeStore } from "../support/account-server.js";
import { ApiClient } from "../support/http-client.js";
import { waitFor } from "../support/wait.js";

forEachDatabase(
  "searches side by side",
  (kind) => {
    test("take turns: at most search.maxConcurrent at the database, the rest wait in the server, and those that wait too long get 503", async (t) => {
      const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] }, history: { enabled: true }, search: { maxConcurrent: 2, timeoutSeconds: 2 } }, { kind });
      const api = ApiClient.forPort(fx.server.http[0]!.port);
      const token = (await api.register("seeker")).tokens.accessToken;
      const side = await openHomeStore(fx.home);
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding = (): void => {};
      const held = new Promise<void>((resolve) => (holding = resolve));
      // Nothing can read the messages while this lock is held: every search waits on it, in the database.
      const locker = side.db.transaction().execute(async (trx) => {
        await sql`lock table messages in access exclusive mode`.execute(trx);
        holding();
        await released;
      });
      await held;
      // Released whatever happens: a failed assertion must not leave the server's searches held.
      let replies;
      try {
        const searches = Array.from({ length: 6 }, (_, i) => api.get(`/api/v1/search?q=${encodeURIComponent(`word${i}`)}`, token));
        const waitingOnLock = async (): Promise<number> => {
          const { rows } = await sql<{ n: string | number }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%to_tsvector%'`.execute(side.db);
          return Number(rows[0]!.n);
        };
        await waitFor(async () => (await waitingOnLock()) >= 2, { timeoutMs: 5_000, what: "two searches waiting on the lock" });
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Before: all six were at the database, six of the node's ten connections.
        assert.equal(await waitingOnLock(), 2, "only maxConcurrent searches reach the database");
        replies = await Promise.all(searches);
      } finally {
        release();
        await locker;
        await side.close();
      }
      // The two at the database were cancelled by their statement timeout; the four waiting got no turn in time.
      assert.deepEqual(replies.map((reply) => reply.status), [503, 503, 503, 503, 503, 503]);
      const after = await api.get<{ results: unknown[] }>(`/api/v1/search?q=anything`, token);
      assert.equal(after.status, 200, "turns are given back");
    });
  },
  ["postgres"],
);
