/**
 * SQLite's WAL is checkpointed by a thread of its own (SqliteCheckpointer), not in
 * commits on the event loop: the server's connection never checkpoints, yet the WAL
 * stays bounded under a steady stream of history writes, and when the store closes
 * SQLite's default comes back.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openStore, type Store } from "../../src/store/database.js";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { SqliteCheckpointer } from "../../src/store/sqlite-checkpointer.js";
import BetterSqlite3 from "better-sqlite3";
import type { StoredMessage } from "../../src/core/chat/history.js";
import { startTestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";

function message(n: number): StoredMessage {
  const text = `message ${n} `.padEnd(300, "x");
  return { msgid: `m${n}`, kind: "privmsg", target: "#busy", targetDisplay: "#busy", senderNick: "alice", senderMask: "alice!a@h", senderAccount: null, recipientAccount: null, time: 1_000 + n, text, tags: null };
}

test("the WAL is checkpointed off the event loop and stays bounded under steady writes", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-checkpoint-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const errors: Error[] = [];
  const store = await openStore({ url: "", dataDir, migrate: true, checkpointInBackground: (error) => errors.push(error) });
  let closed = false;
  t.after(() => (closed ? undefined : store.close()));
  const sqlite = store.sqlite!;
  assert.equal(sqlite.pragma("wal_autocheckpoint", { simple: true }), 0, "the event loop's connection leaves checkpoints to the thread");
  const repository = new MessagesRepository(store);
  const wal = join(dataDir, "cmymessage.db-wal");
  let largest = 0;
  // ~18 MiB of rows and index pages in small batches, as a busy server writes them:
  // without checkpoints the WAL would hold all of it.
  for (let batch = 0; batch < 400; batch++) {
    await repository.append(Array.from({ length: 100 }, (_, i) => message(batch * 100 + i)));
    if (batch % 20 === 19) {
      await sleep(300);
      largest = Math.max(largest, (await stat(wal)).size);
    }
  }
  const total = (await stat(join(dataDir, "cmymessage.db"))).size;
  assert.ok(total > 10 * 1024 * 1024, `the database holds what was written (${total} bytes)`);
  assert.ok(largest < total / 2, `the WAL stayed bounded: at most ${largest} bytes beside a ${total}-byte database`);
  assert.deepEqual(errors, []);
  await store.close();
  closed = true;
  // Reopened without the thread: every row is there, and SQLite's default is back.
  const again = await openStore({ url: "", dataDir, migrate: false });
  t.after(() => again.close());
  assert.equal(again.sqlite!.pragma("wal_autocheckpoint", { simple: true }), 1000);
  const { n } = again.sqlite!.prepare("select count(*) as n from messages").get() as { n: number };
  assert.equal(n, 40_000);
});

test("under writes with no pause between them the WAL still starts again: it stays near its limit, not the size of what was written", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-checkpoint-"));
  const store = await openStore({ url: "", dataDir, migrate: true });
  const sqlite = store.sqlite!;
  const errors: Error[] = [];
  const limit = 2 * 1024 * 1024;
  const checkpointer = new SqliteCheckpointer(sqlite, join(dataDir, "cmymessage.db"), (error) => errors.push(error), { walLimitBytes: limit });
  // One hook, in order: the thread, then the store, then the files.
  t.after(async () => {
    await checkpointer.stop();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const repository = new MessagesRepository(store);
  const wal = join(dataDir, "cmymessage.db-wal");
  let largest = 0;
  let previous = 0;
  let cutBack = 0;
  // A commit every millisecond or so, as a server under steady load makes them: a PASSIVE
  // checkpoint never finds the WAL copied to its end before the next commit, so without
  // more the WAL never starts again and holds everything written (the old code: a 250 MB
  // WAL beside a 35 MB database, growing at every look).
  for (let batch = 0; batch < 4000; batch++) {
    await repository.append(Array.from({ length: 20 }, (_, i) => message(batch * 20 + i)));
    await sleep(1);
    if (batch % 20 !== 19) continue;
    const size = (await stat(wal)).size;
    if (size < previous) cutBack++;
    previous = size;
    largest = Math.max(largest, size);
  }
  const database = (await stat(join(dataDir, "cmymessage.db"))).size;
  assert.ok(database > 30 * 1024 * 1024, `written: ${database} bytes`);
  // It started again, and again: its size is the limit plus what is written during a
  // checkpoint (copies and fsyncs, slower on a busy machine), not what was written.
  assert.ok(cutBack >= 3, `the WAL file was cut back ${cutBack} times`);
  assert.ok(largest < database / 2, `the WAL reached ${largest} bytes beside a ${database}-byte database (limit ${limit})`);
  assert.deepEqual(errors, []);
});

test("a transaction that read before another connection wanted the write lock still writes: transactions take it when they begin", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-checkpoint-"));
  const store = await openStore({ url: "", dataDir, migrate: true });
  // What the checkpoint thread's RESTART does: another connection taking SQLite's write lock.
  const other = new BetterSqlite3(join(dataDir, "cmymessage.db"));
  other.pragma("busy_timeout = 0");
  t.after(async () => {
    other.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  let otherGotTheLock = false;
  await store.db.transaction().execute(async (trx) => {
    await trx.selectFrom("messages").select("id").limit(1).execute();
    try {
      other.exec("begin immediate");
      otherGotTheLock = true;
      other.exec("rollback");
    } catch (error) {
      assert.equal((error as { code?: string }).code, "SQLITE_BUSY");
    }
    // With a deferred transaction the other connection would have had the lock, and this
    // write would fail at once with SQLITE_BUSY: SQLite never waits to upgrade a read.
    await trx.insertInto("login_failures").values({ key: "k", failures: 1, last_failure_at: 1, locked_until: null }).execute();
  });
  assert.equal(otherGotTheLock, false, "the transaction held the write lock from its begin");
  const { n } = store.sqlite!.prepare("select count(*) as n from login_failures").get() as { n: number };
  assert.equal(n, 1);
});

test("database.sqliteWalLimitMiB: a server told 1 MiB keeps its WAL near 1 MiB under steady chat", async (t) => {
  // A commit per turn (no commit interval): the most WAL frames per byte stored, so the WAL
  // passes its limit several times before 8 MiB is stored.
  const server = await startTestServer({ database: { sqliteWalLimitMiB: 1 }, history: { commitIntervalMs: 0 } });
  t.after(() => server.stop());
  const alice = await RawClient.register(server.port, "alice");
  t.after(() => alice.close());
  alice.send("JOIN #busy");
  await alice.waitFor(/ 366 /);
  const wal = join(server.dataDir, "cmymessage.db-wal");
  const database = join(server.dataDir, "cmymessage.db");
  let largest = 0;
  let previous = 0;
  let cutBack = 0;
  // Lines in writes of 20, a round trip after each few writes: a steady stream of small
  // history commits, as a busy channel makes, until 8 MiB is stored (bounded: 40,000 lines).
  const text = "x".repeat(380);
  for (let round = 0; round < 400 && (await stat(database)).size < 8 * 1024 * 1024; round++) {
    for (let write = 0; write < 5; write++) alice.sendBytes(Array.from({ length: 20 }, (_, i) => `PRIVMSG #busy :${round} ${write} ${i} ${text}\r\n`).join(""));
    alice.send(`PING r${round}`);
    await alice.waitFor(new RegExp(`PONG .* :?r${round}$`));
    const size = (await stat(wal)).size;
    if (size < previous) cutBack++;
    previous = size;
    largest = Math.max(largest, size);
  }
  const stored = (await stat(database)).size;
  assert.ok(stored >= 8 * 1024 * 1024, `stored: ${stored} bytes`);
  assert.ok(cutBack >= 3, `the WAL file was cut back ${cutBack} times`);
  // What tells the setting apart is the cutting back: without it (64 MiB of room) the file
  // keeps the largest size it reached, 2.5–3 MiB here, and is never cut. This bound only says
  // the WAL stayed far below what was written, whatever a slow machine's checkpoints let pile up.
  assert.ok(largest < 4 * 1024 * 1024, `the WAL reached ${largest} bytes beside a ${stored}-byte database`);
});

/** A store whose checkpoint thread is in a RESTART that a reader keeps waiting (100 ms), with 400 messages stored. */
async function storeInARestart(t: TestContext): Promise<{ store: Store; rows: (table: "messages" | "login_failures") => number }> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-checkpoint-"));
  const store = await openStore({ url: "", dataDir, migrate: true, checkpointInBackground: () => {}, walLimitBytes: 64 * 1024 });
  // A reader that keeps its snapshot: the RESTART holds the write lock while it waits for it.
  const reader = new BetterSqlite3(join(dataDir, "cmymessage.db"));
  t.after(async () => {
    if (reader.inTransaction) reader.exec("commit");
    reader.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  await new MessagesRepository(store).append(Array.from({ length: 400 }, (_, i) => message(i)));
  reader.exec("begin");
  reader.prepare("select count(*) as n from messages").get();
  // The thread looks every 250 ms; bounded wait for its RESTART to begin.
  for (let waited = 0; store.holdWrites() === null && waited < 5000; waited++) await sleep(1);
  assert.notEqual(store.holdWrites(), null, "the checkpoint thread began a RESTART");
  return { store, rows: (table) => (store.sqlite!.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n };
}

test("a history write that meets a WAL restart waits for it without blocking the event loop", async (t) => {
  const { store, rows } = await storeInARestart(t);
  let countWhenTheLoopTurned = -1;
  setImmediate(() => (countWhenTheLoopTurned = rows("messages")));
  await new MessagesRepository(store).append([message(1000)]);
  // Before, the write ran at once and blocked in SQLite's busy handler until the RESTART
  // gave up: the loop turned only after it, with the row already there.
  assert.equal(countWhenTheLoopTurned, 400, "the event loop turned while the write waited");
  assert.equal(rows("messages"), 401, "then the write was made");
});

const failure = { key: "k", failures: 1, last_failure_at: 1, locked_until: null };

test("a transaction that meets a WAL restart waits for it without blocking the event loop too", async (t) => {
  const { store, rows } = await storeInARestart(t);
  let failuresWhenTheLoopTurned = -1;
  setImmediate(() => (failuresWhenTheLoopTurned = rows("login_failures")));
  // A Kysely transaction (a registration, a token refresh, the search indexer): its BEGIN IMMEDIATE waits as a history write does.
  await store.db.transaction().execute((trx) => trx.insertInto("login_failures").values(failure).execute());
  assert.equal(failuresWhenTheLoopTurned, 0, "the event loop turned while the transaction waited");
  assert.equal(rows("login_failures"), 1, "then the transaction was made");
});

test("a single write statement that meets a WAL restart waits for it without blocking the event loop", async (t) => {
  const { store, rows } = await storeInARestart(t);
  let failuresWhenTheLoopTurned = -1;
  setImmediate(() => (failuresWhenTheLoopTurned = rows("login_failures")));
  // What a login writes (LoginGuard: a failure recorded, or cleared): one statement, no transaction.
  await store.db.insertInto("login_failures").values(failure).execute();
  assert.equal(failuresWhenTheLoopTurned, 0, "the event loop turned while the statement waited");
  assert.equal(rows("login_failures"), 1, "then the statement was run");
});
