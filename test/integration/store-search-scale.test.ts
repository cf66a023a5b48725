/**
 * Message search stays index-backed as history grows: 100,000 messages, then the
 * planner's verdict on the exact SQL MessageSearchRepository runs (captured with a
 * Kysely plugin, then EXPLAINed with the same bound parameters).
 *
 * SQLite: EXPLAIN QUERY PLAN must read the FTS5 table `messages_fts` and fetch each
 * match from `messages` by rowid, never scan `messages`. PostgreSQL: after ANALYZE,
 * EXPLAIN must use the GIN index `messages_text_search` and no Seq Scan on messages
 * for rare words, and walk `messages_time` newest first for a word its statistics
 * call common. No timing is asserted; the time taken is reported.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { sql } from "kysely";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { MessageSearchRepository } from "../../src/store/message-search-repository.js";
import { SearchIndexer } from "../../src/store/search-indexer.js";
import type { StoredMessage } from "../../src/core/chat/history.js";
import { SearchTimeout, type SearchIndexQuery } from "../../src/core/chat/search.js";
import { searchTerms } from "../../src/core/chat/search-terms.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";
import { CaptureQueries, explain } from "../support/query-plans.js";

const TOTAL = 100_000;
const CHANNELS = 50;
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"];
/** A word in three messages out of 1,000 (a readable channel, an unreadable one, a DM): what a search usually looks for. */
const RARE = "quasar";
const START = Date.UTC(2030, 0, 1);

/** Whether the message holds the word, in any case (the seed's words are ASCII). */
function holds(message: StoredMessage, word: string): boolean {
  return message.text.toLowerCase().includes(word);
}

function message(i: number): StoredMessage {
  // Channel traffic with a few DMs; two messages per millisecond.
  const direct = i % 20 === 0;
  const target = direct ? `@user${i % 7} user${(i % 7) + 1}` : `#chan${i % CHANNELS}`;
  // A third of them in capitals: the index folds case, and so must every shortcut to it.
  const lower = [WORDS[i % WORDS.length], WORDS[(i * 7) % WORDS.length], WORDS[(i * 13) % WORDS.length]].join(" ");
  const words = i % 3 === 0 ? lower.toUpperCase() : lower;
  return {
    msgid: `search-scale-${i}`,
    kind: "privmsg",
    target,
    targetDisplay: target,
    senderNick: `nick${i % 97}`,
    senderMask: `~u@h${i % 97}`,
    senderAccount: direct ? `user${i % 7}` : null,
    recipientAccount: direct ? `user${(i % 7) + 1}` : null,
    time: START + Math.floor(i / 2),
    text: `message ${i}: ${words}${[8, 9, 100].includes(i % 1000) ? ` saw a ${RARE} tonight` : ""}`,
    tags: null,
  };
}

async function seed(t: TestContext, target: DialectTarget): Promise<{ store: Store; all: StoredMessage[] }> {
  const database = await target.create(t);
  const store = await database.open();
  const all = Array.from({ length: TOTAL }, (_, i) => message(i));
  const repository = new MessagesRepository(store);
  const started = performance.now();
  for (let i = 0; i < all.length; i += 10_000) await repository.append(all.slice(i, i + 10_000));
  t.diagnostic(`${target.label}: ${TOTAL} messages stored (index kept up by the triggers / GIN) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await sql`ANALYZE messages`.execute(store.db);
  return { store, all };
}

function assertIndexUsed(store: Store, plan: string, what: string): void {
  if (store.dialect === "sqlite") {
    assert.match(plan, /SCAN messages_fts VIRTUAL TABLE INDEX/, `${what}: reads the FTS5 index\n${plan}`);
    assert.match(plan, /SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/, `${what}: fetches each match by rowid\n${plan}`);
    assert.doesNotMatch(plan, /SCAN m\b/, `${what}: never scans messages\n${plan}`);
  } else {
    assert.match(plan, /Bitmap Index Scan on messages_text_search/, `${what}: uses the GIN index\n${plan}`);
    assert.doesNotMatch(plan, /Seq Scan on messages/, `${what}: no sequential scan\n${plan}`);
  }
}

/** The plans of the search statements a repository sent (not its reads of pg_stats or of the SQLite vocabulary). */
async function searchPlans(store: Store, capture: CaptureQueries): Promise<string[]> {
  const executor = store.db.getExecutor();
  const statements = capture.queries.map((q) => executor.compileQuery(q.node, q.queryId)).filter((compiled) => compiled.sql.startsWith("select m.*"));
  return await Promise.all(statements.map((compiled) => explain(store, compiled)));
}

function query(words: string, channelKeys: readonly string[], account: string, before: SearchIndexQuery["before"] = null): SearchIndexQuery {
  const parsed = searchTerms(words, { maxQueryChars: 200, maxWords: 16 });
  assert.ok(parsed.ok);
  return { terms: parsed.terms, channelKeys, account, before, limit: 51 };
}

forEachDialect("message search at 100,000 messages", (target) => {
  test("searches read the full-text index (EXPLAIN), find the right messages newest first, and page on", async (t) => {
    const { store, all } = await seed(t, target);
    const channelKeys = Array.from({ length: CHANNELS / 2 }, (_, i) => `#chan${i * 2}`);
    const readable = (m: StoredMessage) => channelKeys.includes(m.target) || (m.target.startsWith("@") && (m.senderAccount === "user3" || m.recipientAccount === "user3"));
    const newestFirst = (a: StoredMessage, b: StoredMessage) => b.time - a.time || Number(b.msgid.slice(13)) - Number(a.msgid.slice(13));
    const cases: Array<[string, SearchIndexQuery, StoredMessage[]]> = [
      ["a rare word", query(RARE, channelKeys, "user3"), all.filter((m) => m.text.includes(RARE) && readable(m))],
      ["a rare word as a prefix", query("quas", channelKeys, "user3"), all.filter((m) => m.text.includes(RARE) && readable(m))],
      ["two words, one rare", query(`tonight ${RARE}`, channelKeys, "user3"), all.filter((m) => m.text.includes(RARE) && readable(m))],
    ];
    for (const [what, search, matching] of cases) {
      const capture = new CaptureQueries();
      const started = performance.now();
      const hits = await new MessageSearchRepository(store.db.withPlugin(capture), store.dialect, new SearchIndexer(store.db, store.dialect)).search(search);
      const elapsed = performance.now() - started;
      const expected = [...matching].sort(newestFirst).slice(0, search.limit);
      assert.ok(expected.length > 0, `${what}: the seed has matches`);
      assert.deepEqual(hits.map((h) => h.message.msgid), expected.map((m) => m.msgid), `${what}: the right messages, newest first`);
      const plans = await searchPlans(store, capture);
      assert.equal(plans.length, 1, `${what}: one search statement`);
      assertIndexUsed(store, plans[0]!, what);
      t.diagnostic(`${target.label} ${what}: ${hits.length} hits in ${elapsed.toFixed(1)} ms; plan: ${plans[0]!.replaceAll("\n", " | ")}`);
    }

    // PostgreSQL walks the newest messages for a word its statistics call common, and stops
    // at the page; when the walk holds too few the reader may read, the GIN index answers.
    if (store.dialect === "postgres") {
      const oneChannel = (m: StoredMessage) => m.target === "#chan4" || (m.target.startsWith("@") && (m.senderAccount === "user3" || m.recipientAccount === "user3"));
      const ways: Array<[string, SearchIndexQuery, StoredMessage[], "walk" | "walk, then the index"]> = [
        ["a common word", query("alpha", channelKeys, "user3"), all.filter((m) => holds(m, "alpha") && readable(m)), "walk"],
        ["a common word as a prefix", query("alph", channelKeys, "user3"), all.filter((m) => holds(m, "alpha") && readable(m)), "walk"],
        ["a common word read in one channel of 50", query("alpha", ["#chan4"], "user3"), all.filter((m) => holds(m, "alpha") && oneChannel(m)), "walk, then the index"],
      ];
      for (const [what, search, matching, way] of ways) {
        const capture = new CaptureQueries();
        const hits = await new MessageSearchRepository(store.db.withPlugin(capture), store.dialect, new SearchIndexer(store.db, store.dialect)).search(search);
        assert.deepEqual(hits.map((h) => h.message.msgid), [...matching].sort(newestFirst).slice(0, search.limit).map((m) => m.msgid), `${what}: the right messages, newest first`);
        const plans = await searchPlans(store, capture);
        assert.equal(plans.length, way === "walk" ? 1 : 2, `${what}: ${way}\n${plans.join("\n--\n")}`);
        assert.match(plans[0]!, /Index Scan Backward using messages_time on messages/, `${what}: walks messages_time newest first\n${plans[0]}`);
        assert.match(plans[0]!, /m\.text ~~\* '%alph/, `${what}: tests the text for the word before parsing it\n${plans[0]}`);
        assert.doesNotMatch(plans[0]!, /messages_text_search|Seq Scan/, `${what}: the walk reads neither the GIN index nor the whole table\n${plans[0]}`);
        if (way !== "walk") assertIndexUsed(store, plans[1]!, `${what}, after the walk`);
        t.diagnostic(`${target.label} ${what}: ${way}; plan: ${plans[0]!.replaceAll("\n", " | ")}`);
      }
    }

    // Paging a common word: pages of 51 follow each other with no gap and no repeat.
    const common = all.filter((m) => holds(m, "alpha") && readable(m)).sort(newestFirst);
    let before: SearchIndexQuery["before"] = null;
    const seen: string[] = [];
    for (let page = 0; page < 3; page++) {
      const hits = await new MessageSearchRepository(store.db, store.dialect, new SearchIndexer(store.db, store.dialect)).search(query("alpha", channelKeys, "user3", before));
      assert.equal(hits.length, 51);
      seen.push(...hits.map((h) => h.message.msgid));
      before = hits[hits.length - 1]!.position;
    }
    assert.deepEqual(seen, common.slice(0, seen.length).map((m) => m.msgid));

    // A search given 1 ms: PostgreSQL cancels it in the database (statement_timeout) and it
    // fails as SearchTimeout; SQLite has no such bound and answers. Either way the next search
    // works as before, and the settings were the search's own: read on the very connection the
    // searches used (one pinned connection), they are what they were before.
    await store.db.connection().execute(async (db) => {
      const repository = new MessageSearchRepository(db, store.dialect, new SearchIndexer(db, store.dialect));
      const sessionSettings = async () =>
        store.dialect === "postgres"
          ? (await sql<{ timeout: string; jit: string; workMem: string }>`select current_setting('statement_timeout') as timeout, current_setting('jit') as jit, current_setting('work_mem') as "workMem"`.execute(db)).rows[0]
          : null;
      const settingsBefore = await sessionSettings();
      // A reader of one channel: the walk finds too few and the GIN index's thousands of matches are sorted.
      const hurried = repository.search({ ...query("alpha", ["#chan4"], "user3"), timeoutMs: 1 });
      if (store.dialect === "postgres") await assert.rejects(hurried, (error: unknown) => error instanceof SearchTimeout && error.timeoutMs === 1);
      else assert.equal((await hurried).length, 51);
      const again = await repository.search({ ...query("alpha", channelKeys, "user3"), timeoutMs: 10_000 });
      assert.deepEqual(again.map((h) => h.message.msgid), common.slice(0, 51).map((m) => m.msgid));
      assert.deepEqual(await sessionSettings(), settingsBefore, "the search's settings did not outlive its transaction");
    });
  });
});
