/**
 * SQLite's index of conversations kept behind the writes (message_targets, migration
 * 0017): history read at any moment finds every stored message, whether or not it has
 * reached the index yet — after many small commits, after a restart, after deletes,
 * during retention, and for history stored before the migration. The page checks run on
 * PostgreSQL too (where the database keeps its index), as the reference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sql, type Kysely } from "kysely";
import BetterSqlite3 from "better-sqlite3";
import { join } from "node:path";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { TARGET_INDEX_BATCH_ROWS } from "../../src/store/message-targets.js";
import { createMigrator, migrateToLatest } from "../../src/store/migrator.js";
import type { HistoryQuery, StoredMessage } from "../../src/core/chat/history.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect } from "../support/databases.js";

let counter = 0;

function message(target: string, time: number): StoredMessage {
  const n = ++counter;
  return {
    msgid: `ti-${process.pid}-${n}`,
    kind: "privmsg",
    target,
    targetDisplay: target,
    senderNick: `nick${n % 7}`,
    senderMask: `~u@h${n % 7}`,
    senderAccount: null,
    recipientAccount: null,
    time,
    text: `message ${n}`,
    tags: null,
  };
}

const latest = (target: string, limit = 10_000): HistoryQuery => ({ target, direction: "before", from: null, to: null, limit });
const ids = (messages: readonly StoredMessage[]) => messages.map((m) => m.msgid);

/** SQLite only: how many rows the index holds and its mark, against the messages stored. */
async function indexState(store: Store): Promise<{ indexed: number; stored: number; upTo: number }> {
  const { rows } = await sql<{ indexed: number; stored: number; upTo: number }>`select
    (select count(*) from message_targets) as indexed, (select count(*) from messages) as stored,
    (select indexed_upto from message_targets_state where id = 1) as "upTo"`.execute(store.db);
  return rows[0]!;
}

forEachDialect("history read while its index is behind the writes", (target) => {
  test("many small commits (more than a batch of the index's): every page read between them holds every message stored so far", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const repository = new MessagesRepository(store);
    const targets = ["#a", "#b", "@x y"];
    const stored = new Map<string, StoredMessage[]>(targets.map((name) => [name, []]));
    const total = TARGET_INDEX_BATCH_ROWS * 2 + 300;
    let time = Date.UTC(2031, 0, 1);
    let sawBehind = false;
    for (let sent = 0; sent < total; ) {
      // Batches of 24 over three conversations, several per millisecond, as a busy server commits them.
      const batch = Array.from({ length: 24 }, (_, i) => message(targets[(sent + i) % targets.length]!, time + Math.floor(i / 5)));
      await repository.append(batch);
      for (const m of batch) stored.get(m.target)!.push(m);
      sent += batch.length;
      time += 5;
      if (store.dialect === "sqlite") {
        const state = await indexState(store);
        if (state.indexed < state.stored) sawBehind = true;
      }
      // A read now and then, at different distances from the index's batches.
      if (sent % 1000 < 24) {
        for (const name of targets) assert.deepEqual(ids(await repository.query(latest(name, 60))), ids(stored.get(name)!.slice(-60)), `${name} after ${sent}`);
      }
    }
    if (store.dialect === "sqlite") {
      assert.ok(sawBehind, "the index was behind the writes between reads");
      const before = await indexState(store);
      assert.ok(before.indexed <= before.stored);
    }
    for (const name of targets) assert.deepEqual(ids(await repository.query(latest(name))), ids(stored.get(name)!), `${name}: everything, in order`);
    if (store.dialect === "sqlite") {
      const after = await indexState(store);
      assert.equal(after.indexed, after.stored, "a read adds what was pending");
    }
  });

  test("retention that keeps the newest N per conversation counts the messages not yet in the index", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const repository = new MessagesRepository(store);
    const a = Array.from({ length: 8 }, (_, i) => message("#a", 1000 + i));
    const b = Array.from({ length: 3 }, (_, i) => message("#b", 1000 + i));
    await repository.append([...a, ...b]);
    assert.deepEqual(ids(await repository.query(latest("#a"))), ids(a));
    // Newer ones, not read since: on SQLite they are not in the index yet.
    const newer = Array.from({ length: 4 }, (_, i) => message("#a", 2000 + i));
    await repository.append(newer);
    assert.equal(await repository.prune(null, 3), 9, "#a keeps 3 of 12, #b all 3");
    assert.deepEqual(ids(await repository.query(latest("#a"))), ids(newer.slice(-3)));
    assert.deepEqual(ids(await repository.query(latest("#b"))), ids(b));
  });
});

forEachDialect(
  "SQLite's index of conversations (message_targets)",
  (sqlite) => {
    test("a restart finds the messages stored but not yet indexed (a second store on the same file, as a new process)", async (t) => {
      const database = await sqlite.create(t);
      const first = await database.open();
      const stored = Array.from({ length: 50 }, (_, i) => message("#chan", 5000 + i));
      const repository = new MessagesRepository(first);
      await repository.append(stored.slice(0, 30));
      await repository.append(stored.slice(30));
      assert.deepEqual(await indexState(first), { indexed: 0, stored: 50, upTo: 0 }, "nothing read yet: nothing indexed");
      const second = await database.open();
      assert.deepEqual(ids(await new MessagesRepository(second).query(latest("#chan"))), ids(stored));
      assert.equal((await indexState(second)).indexed, 50);
    });

    test("a deleted message leaves the index; one deleted before it was indexed never enters it", async (t) => {
      const database = await sqlite.create(t);
      const store = await database.open();
      const repository = new MessagesRepository(store);
      const early = Array.from({ length: 5 }, (_, i) => message("#chan", 100 + i));
      await repository.append(early);
      assert.equal((await repository.query(latest("#chan"))).length, 5);
      assert.equal(await repository.deleteMessage("#chan", early[2]!.msgid), true);
      const late = Array.from({ length: 3 }, (_, i) => message("#chan", 200 + i));
      await repository.append(late);
      assert.equal(await repository.deleteMessage("#chan", late[1]!.msgid), true, "deleted while still pending");
      assert.deepEqual(ids(await repository.query(latest("#chan"))), ids([early[0]!, early[1]!, early[3]!, early[4]!, late[0]!, late[2]!]));
      const state = await indexState(store);
      assert.equal(state.indexed, state.stored, "the index holds exactly the stored messages");
      // Retention by age deletes through the same trigger.
      assert.equal(await repository.prune(150, null), 4);
      assert.deepEqual(await indexState(store).then((s) => s.indexed), 2);
    });

    test("migration 0017 indexes the history stored before it and drops messages_target_time", async (t) => {
      const database = await sqlite.create(t);
      const store = await database.open({ migrate: false });
      const raw = store.db as unknown as Kysely<unknown>;
      const before = await (await createMigrator(raw, store.dialect)).migrateTo("0016-refresh-successor");
      if (before.error) throw before.error;
      const old = Array.from({ length: 50 }, (_, i) => message(i % 2 === 0 ? "#even" : "#odd", 9000 + Math.floor(i / 4)));
      await store.db
        .insertInto("messages")
        .values(old.map((m) => ({ msgid: m.msgid, kind: m.kind, target: m.target, target_display: m.targetDisplay, sender_nick: m.senderNick, sender_mask: m.senderMask, sender_account: null, recipient_account: null, time: m.time, text: m.text, tags: null })))
        .execute();
      const { applied } = await migrateToLatest(raw, store.dialect);
      assert.ok(applied.includes("0017-target-index-behind"));
      assert.deepEqual(await indexState(store), { indexed: 50, stored: 50, upTo: 50 });
      const indexes = (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'messages'`.execute(store.db)).rows.map((r) => r.name);
      assert.ok(!indexes.includes("messages_target_time"), indexes.join(", "));
      const repository = new MessagesRepository(store);
      assert.deepEqual(ids(await repository.query(latest("#even"))), ids(old.filter((m) => m.target === "#even")));
      assert.deepEqual(ids(await repository.query({ target: "#odd", direction: "after", from: { kind: "msgid", msgid: old[1]!.msgid }, to: null, limit: 3 })), ids([old[3]!, old[5]!, old[7]!]));
    });

    test("messages another process stored (a second store on the file) are found by this one's next read", async (t) => {
      const database = await sqlite.create(t);
      const a = new MessagesRepository(await database.open());
      const b = new MessagesRepository(await database.open());
      await a.append([message("#x", 1)]);
      assert.equal((await a.query(latest("#x"))).length, 1, "a is caught up");
      const more = [message("#x", 2), message("#x", 3)];
      await b.append(more);
      assert.deepEqual(ids((await a.query(latest("#x"))).slice(1)), ids(more));
      assert.deepEqual(
        (await a.conversations(["#x"], null, 0, 10, 10)).map((c) => c.latest),
        [3],
      );
    });

    test("when the index cannot be written (another process holds the write lock), reads still find every message, then catch up", async (t) => {
      const database = await sqlite.create(t);
      const store = await database.open();
      const errors: unknown[] = [];
      const repository = new MessagesRepository(store, (error) => errors.push(error));
      const early = Array.from({ length: 6 }, (_, i) => message(i % 2 === 0 ? "#a" : "#b", 100 + i));
      await repository.append(early);
      assert.equal((await repository.query(latest("#a"))).length, 3);
      const late = Array.from({ length: 6 }, (_, i) => message(i % 2 === 0 ? "#a" : "#b", 200 + i));
      await repository.append(late);
      // Another connection takes the write lock; this one gives up at once instead of after 5 s.
      const other = new BetterSqlite3(join(database.dataDir, "cmymessage.db"));
      t.after(() => other.close());
      store.sqlite!.pragma("busy_timeout = 20");
      other.exec("begin immediate");
      const a = [...early, ...late].filter((m) => m.target === "#a");
      assert.deepEqual(ids(await repository.query(latest("#a"))), ids(a), "LATEST: the index's rows and the tail's");
      assert.deepEqual(ids(await repository.query(latest("#a", 2))), ids(a.slice(-2)), "a page from the tail alone");
      assert.deepEqual(ids(await repository.query({ target: "#a", direction: "after", from: { kind: "msgid", msgid: a[1]!.msgid }, to: null, limit: 3 })), ids(a.slice(2, 5)), "across the two");
      assert.deepEqual(
        (await repository.conversations(["#a", "#b"], null, 0, 1000, 10)).map((c) => [c.target, c.latest]),
        [
          ["#b", 205],
          ["#a", 204],
        ],
      );
      assert.equal(errors.length, 1, "the failure is told once, not at every read");
      other.exec("rollback");
      store.sqlite!.pragma("busy_timeout = 5000");
      assert.deepEqual(ids(await repository.query(latest("#a"))), ids(a));
      const state = await indexState(store);
      assert.equal(state.indexed, state.stored, "caught up once the lock is free");
    });
  },
  { dialects: ["sqlite"] },
);
