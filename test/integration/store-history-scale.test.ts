/**
 * History pages stay index-backed as history grows: 10,000 messages, and the
 * planner's verdict on the exact SQL MessagesRepository runs (captured with a
 * Kysely plugin, then EXPLAINed with the same bound parameters).
 *
 * SQLite: EXPLAIN QUERY PLAN must search message_targets (the index of conversations
 * kept behind the writes, migration 0017) by target, with no full scan and no sort
 * step — before and after ANALYZE. PostgreSQL: after ANALYZE, EXPLAIN
 * must show an index scan and no Seq Scan on messages (which index is the planner's
 * call at this size; the test reports it), and the indexes must exist.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { type CompiledQuery, sql } from "kysely";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import type { HistoryQuery, StoredMessage } from "../../src/core/chat/history.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";
import { CaptureQueries, explain } from "../support/query-plans.js";

const TOTAL = 10_000;
const BIG = "#big";
const OTHER_TARGETS = 40;
const PAGE = 50;
/** One of the four small channels: 2.5% of the rows. */
const SMALL = "#small0";

interface Seeded {
  readonly store: Store;
  readonly repository: MessagesRepository;
  readonly big: StoredMessage[];
  readonly small: StoredMessage[];
}

async function seed(t: TestContext, target: DialectTarget): Promise<Seeded> {
  const database = await target.create(t);
  const store = await database.open();
  const repository = new MessagesRepository(store);
  const all: StoredMessage[] = [];
  const big: StoredMessage[] = [];
  const start = Date.UTC(2030, 0, 1);
  for (let i = 0; i < TOTAL; i++) {
    // Most traffic in one busy channel, the rest spread over many small ones and DMs; three per millisecond.
    const onBig = i % 5 !== 0;
    const targetName = onBig ? BIG : i % 10 === 5 ? `@user${i % OTHER_TARGETS} user${(i + 1) % OTHER_TARGETS}` : `#small${i % OTHER_TARGETS}`;
    const message: StoredMessage = {
      msgid: `scale-${i}`,
      kind: "privmsg",
      target: targetName,
      targetDisplay: targetName,
      senderNick: `nick${i % 97}`,
      senderMask: `~u@h${i % 97}`,
      senderAccount: i % 3 === 0 ? `acct${i % 50}` : null,
      recipientAccount: targetName.startsWith("@") ? `user${i % OTHER_TARGETS}` : null,
      time: start + Math.floor(i / 3),
      text: `message number ${i} with some ordinary chat text in it`,
      tags: null,
    };
    all.push(message);
    if (onBig) big.push(message);
  }
  await repository.append(all);
  return { store, repository, big, small: all.filter((m) => m.target === SMALL) };
}

/** Runs `query` through a capturing repository and returns the page and the SELECTs it ran. */
async function captured(store: Store, query: HistoryQuery): Promise<{ page: StoredMessage[]; selects: CompiledQuery[] }> {
  const capture = new CaptureQueries();
  const page = await new MessagesRepository({ ...store, db: store.db.withPlugin(capture) }).query(query);
  const executor = store.db.getExecutor();
  // The page itself is SQL written out (RawNode): on SQLite it joins message_targets.
  const selects = capture.queries.filter((q) => q.node.kind === "SelectQueryNode" || q.node.kind === "RawNode").map((q) => executor.compileQuery(q.node, q.queryId));
  return { page, selects };
}

/**
 * SQLite must search message_targets by its key, (target, time, id), for every page. PostgreSQL decides by cost,
 * and at 10,000 rows inserted in time order it may walk messages_time backwards and
 * filter by target (cheap here: the heap is in time order and a page stops early);
 * so there a Seq Scan is what fails, and the index chosen is reported.
 */
function assertIndexBacked(store: Store, plan: string, what: string): void {
  if (store.dialect === "sqlite") {
    assert.match(plan, /^SEARCH t USING PRIMARY KEY \(target=\?/, `${what}: searches message_targets by target first\n${plan}`);
    assert.match(plan, /SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/, `${what}: then each message by its id\n${plan}`);
    assert.doesNotMatch(plan, /\bSCAN\b/, `${what}: no full scan\n${plan}`);
    assert.doesNotMatch(plan, /TEMP B-TREE/, `${what}: the index gives the order, no sort\n${plan}`);
  } else {
    assert.doesNotMatch(plan, /Seq Scan on messages/, `${what}: no sequential scan\n${plan}`);
    assert.match(plan, /Index (Only )?Scan (Backward )?using messages_\w+ on messages/, `${what}: an index scan\n${plan}`);
  }
}

forEachDialect("history at 10,000 messages", (target) => {
  test("BEFORE/LATEST/AFTER/BETWEEN pages of 50 are correct and index-backed (SQLite: message_targets; PostgreSQL: an index on messages), before and after ANALYZE", async (t) => {
    const { store, big, small } = await seed(t, target);
    const anchor = big[big.length - 1000]!;
    const early = big[1000]!;
    const smallAnchor = small[small.length - 60]!;
    const pages: Array<[string, HistoryQuery, StoredMessage[]]> = [
      ["BEFORE msgid in a small channel", { target: SMALL, direction: "before", from: { kind: "msgid", msgid: smallAnchor.msgid }, to: null, limit: PAGE }, small.slice(small.length - 60 - PAGE, small.length - 60)],
      ["LATEST in a small channel", { target: SMALL, direction: "before", from: null, to: null, limit: PAGE }, small.slice(-PAGE)],
      ["BEFORE msgid", { target: BIG, direction: "before", from: { kind: "msgid", msgid: anchor.msgid }, to: null, limit: PAGE }, big.slice(big.length - 1000 - PAGE, big.length - 1000)],
      ["BEFORE time", { target: BIG, direction: "before", from: { kind: "time", time: anchor.time }, to: null, limit: PAGE }, big.filter((m) => m.time < anchor.time).slice(-PAGE)],
      ["LATEST", { target: BIG, direction: "before", from: null, to: null, limit: PAGE }, big.slice(-PAGE)],
      ["AFTER msgid", { target: BIG, direction: "after", from: { kind: "msgid", msgid: early.msgid }, to: null, limit: PAGE }, big.slice(1001, 1001 + PAGE)],
      ["BETWEEN msgids", { target: BIG, direction: "after", from: { kind: "msgid", msgid: early.msgid }, to: { kind: "msgid", msgid: anchor.msgid }, limit: PAGE }, big.slice(1001, 1001 + PAGE)],
    ];

    const check = async (round: string) => {
      for (const [what, query, expected] of pages) {
        const started = performance.now();
        const { page, selects } = await captured(store, query);
        const elapsed = performance.now() - started;
        assert.deepEqual(page.map((m) => m.msgid), expected.map((m) => m.msgid), `${round} ${what}: the right page`);
        const pageQuery = selects[selects.length - 1]!;
        const plan = await explain(store, pageQuery);
        assertIndexBacked(store, plan, `${round} ${what}`);
        // The msgid look-ups that turn a reference into a position go through the UNIQUE index on msgid.
        for (const lookup of selects.slice(0, -1)) {
          const plan = await explain(store, lookup);
          if (store.dialect === "sqlite") assert.match(plan, /SEARCH messages USING INDEX \S+ \(msgid=\?\)/, `${round} ${what}: msgid look-up\n${plan}`);
          else assert.doesNotMatch(plan, /Seq Scan on messages/, `${round} ${what}: msgid look-up\n${plan}`);
        }
        const index = /(?:USING (?:COVERING )?INDEX|using) (messages_\w+)/.exec(plan)?.[1] ?? "?";
        t.diagnostic(`${target.label} ${round} ${what}: ${elapsed.toFixed(1)} ms via ${index}`);
      }
    };

    if (store.dialect === "sqlite") await check("no statistics:");
    await sql`ANALYZE messages`.execute(store.db);
    await check("after ANALYZE:");
  });

  test("the history indexes exist", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const names =
      store.dialect === "sqlite"
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'messages'`.execute(store.db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'messages' and schemaname = current_schema()`.execute(store.db)).rows.map((r) => r.name);
    // SQLite keeps the index of conversations as a table of its own (message_targets, 0017).
    const expected = store.dialect === "sqlite" ? ["messages_recipient_time", "messages_time"] : ["messages_target_time", "messages_recipient_time", "messages_time"];
    for (const index of expected) assert.ok(names.includes(index), `${index} in ${names.join(", ")}`);
    if (store.dialect === "sqlite") {
      assert.ok(!names.includes("messages_target_time"), `messages_target_time is gone: ${names.join(", ")}`);
      const table = (await sql<{ sql: string }>`select sql from sqlite_master where type = 'table' and name = 'message_targets'`.execute(store.db)).rows[0]?.sql;
      assert.match(table ?? "(missing)", /primary key \(target, time, id\)\) without rowid/i);
    }
  });

  test("messages_recipient_time is partial: it indexes direct messages only (recipient_account is not null)", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const definition =
      store.dialect === "sqlite"
        ? (await sql<{ sql: string }>`select sql from sqlite_master where type = 'index' and name = 'messages_recipient_time'`.execute(store.db)).rows[0]?.sql
        : (await sql<{ sql: string }>`select indexdef as sql from pg_indexes where indexname = 'messages_recipient_time' and schemaname = current_schema()`.execute(store.db)).rows[0]?.sql;
    assert.match(definition ?? "(missing)", /where \(?recipient_account is not null\)?/i);
  });

  test("offline DMs (unreadDirect) and retention by age use their indexes, not a full scan", async (t) => {
    const { store } = await seed(t, target);
    await sql`ANALYZE messages`.execute(store.db);
    const capture = new CaptureQueries();
    const repository = new MessagesRepository({ ...store, db: store.db.withPlugin(capture) });
    const unread = await repository.unreadDirect("user5", Date.UTC(2030, 0, 1) + 3000, 100);
    assert.ok(unread.length > 0 && unread.every((m) => m.recipientAccount === "user5"));
    const executor = store.db.getExecutor();
    const [select] = capture.queries.filter((q) => q.node.kind === "SelectQueryNode").map((q) => executor.compileQuery(q.node, q.queryId));
    const plan = await explain(store, select!);
    if (store.dialect === "sqlite") assert.match(plan, /SEARCH messages USING INDEX messages_recipient_time \(recipient_account=\?/, plan);
    else assert.doesNotMatch(plan, /Seq Scan on messages/, plan);
  });
});
