/**
 * The search index follows the messages table, on SQLite and PostgreSQL: messages
 * stored before migration 0004-search are found after it (backfill), and the index
 * follows every later insert, update and delete of a row.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sql, type Kysely } from "kysely";
import fc from "fast-check";
import { createMigrator, migrateToLatest } from "../../src/store/migrator.js";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { MessageSearchRepository } from "../../src/store/message-search-repository.js";
import { SearchIndexer } from "../../src/store/search-indexer.js";
import { searchTerms } from "../../src/core/chat/search-terms.js";
import { fts5Match } from "../../src/store/search-match.js";
import type { StoredMessage } from "../../src/core/chat/history.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect } from "../support/databases.js";

function message(msgid: string, target: string, text: string, time: number): StoredMessage {
  return { msgid, kind: "privmsg", target, targetDisplay: target, senderNick: "alice", senderMask: "~a@h", senderAccount: "alice", recipientAccount: null, time, text, tags: null };
}

async function find(store: Store, words: string, channelKeys: readonly string[] = ["#general"]): Promise<string[]> {
  const parsed = searchTerms(words, { maxQueryChars: 200, maxWords: 16 });
  assert.ok(parsed.ok);
  const hits = await new MessageSearchRepository(store.db, store.dialect, new SearchIndexer(store.db, store.dialect)).search({ terms: parsed.terms, channelKeys, account: "nobody", before: null, limit: 50 });
  return hits.map((hit) => hit.message.msgid);
}

forEachDialect("the message search index", (target) => {
  test("messages stored before the search migration are found after it", async (t) => {
    const database = await target.create(t);
    const store = await database.open({ migrate: false });
    const migrator = await createMigrator(store.db as unknown as Kysely<unknown>, store.dialect);
    const earlier = await migrator.migrateTo("0003-presence");
    if (earlier.error) throw earlier.error;
    // Rows as that schema held them (today's repository writes to tables made by later migrations).
    const old = [message("old-1", "#general", "written before search existed", 1000), message("old-2", "#general", "another early word", 2000)];
    await store.db
      .insertInto("messages")
      .values(old.map((m) => ({ msgid: m.msgid, kind: m.kind, target: m.target, target_display: m.targetDisplay, sender_nick: m.senderNick, sender_mask: m.senderMask, sender_account: m.senderAccount, recipient_account: m.recipientAccount, time: m.time, text: m.text, tags: null })))
      .execute();
    const { applied } = await migrateToLatest(store.db as unknown as Kysely<unknown>, store.dialect);
    assert.ok(applied.includes("0004-search"));
    assert.deepEqual(await find(store, "before search"), ["old-1"]);
    assert.deepEqual(await find(store, "early"), ["old-2"]);
    // And what comes after is indexed as it is written.
    await new MessagesRepository(store).append([message("new-1", "#general", "an early bird after the migration", 3000)]);
    assert.deepEqual(await find(store, "early"), ["new-1", "old-2"]);
  });

  test("the index follows every insert, update and delete of a message row", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const repository = new MessagesRepository(store);
    await repository.append([message("m1", "#general", "the first draft", 1000), message("m2", "#general", "the second draft", 2000), message("m3", "#other", "a draft elsewhere", 3000)]);
    assert.deepEqual(await find(store, "draft"), ["m2", "m1"]);
    assert.deepEqual(await find(store, "draft", ["#general", "#other"]), ["m3", "m2", "m1"]);
    // No door updates a message today; should one, the trigger keeps the index right.
    await sql`update messages set text = ${"the final version"} where msgid = ${"m1"}`.execute(store.db);
    assert.deepEqual(await find(store, "draft"), ["m2"]);
    assert.deepEqual(await find(store, "final version"), ["m1"]);
    assert.equal(await repository.deleteMessage("#general", "m2"), true);
    assert.deepEqual(await find(store, "draft"), []);
    // Retention deletes rows in bulk: they leave the index too.
    assert.equal(await repository.prune(2500, null), 1);
    assert.deepEqual(await find(store, "final"), []);
    assert.deepEqual(await find(store, "draft", ["#other"]), ["m3"]);
  });

  test("a message changed or deleted before it reaches the index is found as it is, and the index stays sound", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const repository = new MessagesRepository(store);
    await repository.append([message("p1", "#general", "pending apple", 1000), message("p2", "#general", "pending banana", 2000), message("p3", "#general", "pending cherry", 3000)]);
    // On SQLite none of these is indexed yet (the index follows the writes in batches): a
    // delete or update of an unindexed row must not reach the index, or it would corrupt it.
    assert.equal(await repository.deleteMessage("#general", "p2"), true);
    await sql`update messages set text = ${"pending damson"} where msgid = ${"p3"}`.execute(store.db);
    assert.deepEqual(await find(store, "pending"), ["p3", "p1"]);
    assert.deepEqual(await find(store, "banana"), []);
    assert.deepEqual(await find(store, "cherry"), []);
    assert.deepEqual(await find(store, "damson"), ["p3"]);
    if (store.dialect === "sqlite") {
      // FTS5 checks its index against the messages table; a corrupt index throws here.
      await sql`insert into messages_fts (messages_fts, rank) values ('integrity-check', 1)`.execute(store.db);
      const { rows } = await sql<{ indexed_upto: number }>`select indexed_upto from search_index_state`.execute(store.db);
      const { rows: max } = await sql<{ id: number }>`select max(id) as id from messages`.execute(store.db);
      assert.equal(rows[0]?.indexed_upto, max[0]?.id, "a search leaves nothing pending");
    }
  });
});

forEachDialect("a prefix in the message search", (target) => {
  test("finds every word it begins, folded as the index folds words, however many words it stands for", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const texts = ["Crème brûlée tonight", "creme fraiche", "CREMATION notes", "the cremate verb", "incremental backup", "cr is too short", "release 20240 or 2024b"];
    // 70 words with one prefix: more than a prefix is turned into, so it is searched as a prefix.
    const many = Array.from({ length: 70 }, (_, i) => `prefixword${i} here`);
    const all = [...texts, ...many].map((text, i) => message(`x${i}`, "#general", text, 1000 + i));
    await new MessagesRepository(store).append(all);
    const search = async (words: string, limit = 100) => {
      const parsed = searchTerms(words, { maxQueryChars: 200, maxWords: 16 });
      assert.ok(parsed.ok);
      const hits = await new MessageSearchRepository(store.db, store.dialect, new SearchIndexer(store.db, store.dialect)).search({ terms: parsed.terms, channelKeys: ["#general"], account: "nobody", before: null, limit });
      return hits.map((hit) => hit.message.msgid);
    };
    // SQLite folds accents (Crème is creme); on PostgreSQL accents count.
    const cre = store.dialect === "sqlite" ? ["x3", "x2", "x1", "x0"] : ["x3", "x2", "x1"];
    assert.deepEqual(await search("cre"), cre);
    assert.deepEqual(await search("CRÉ"), store.dialect === "sqlite" ? cre : []);
    assert.deepEqual(await search("tonight cre"), store.dialect === "sqlite" ? ["x0"] : []);
    assert.deepEqual(await search("cremat"), ["x3", "x2"]);
    assert.deepEqual(await search("nomatchprefix"), []);
    assert.deepEqual(await search("202"), ["x6"]);
    const manyIds = many.map((_, i) => `x${texts.length + i}`).reverse();
    assert.deepEqual(await search("prefixw"), manyIds);
    // prefixword6 and prefixword60…69.
    const sixes = many.flatMap((text, i) => (text.startsWith("prefixword6") ? [`x${texts.length + i}`] : [])).reverse();
    assert.equal(sixes.length, 11);
    assert.deepEqual(await search("here prefixword6"), sixes);
    if (store.dialect === "sqlite") {
      // The same answers as FTS5's own prefix query, which reads every word in full.
      // Digits only ("202") are searched as a prefix; "2024b" is a word of its own. U+19B0 is
      // a letter to JavaScript and a separator to FTS5's unicode61: "cre\u19B0cre" is two
      // tokens, and "\u19B0" alone none (an implicit AND leaves it out).
      for (const words of ["cre", "cremat", "prefixw", "prefixword1", "her", "202", "2024b", "cre\u19B0cre", "tonight \u19B0 cre", "\u19B0 cre", "the crem"]) {
        const parsed = searchTerms(words, { maxQueryChars: 200, maxWords: 16 });
        assert.ok(parsed.ok);
        const { rows } = await sql<{ id: number }>`select rowid as id from messages_fts where messages_fts match ${fts5Match(parsed.terms)} order by rowid desc`.execute(store.db);
        const ids = rows.map((row) => `x${row.id - 1}`);
        assert.deepEqual(await search(words), ids, words);
      }
      // A word added by an edit of an indexed message is found by its prefix.
      await sql`update messages set text = ${"an unusualword appears"} where msgid = ${"x5"}`.execute(store.db);
      assert.deepEqual(await search("unusualw"), ["x5"]);
    }
  });
});

forEachDialect("the message search index: words inside links, addresses, paths and versions", (target) => {
  test("are found on both databases, as punctuation separates words everywhere (PostgreSQL's parser kept them whole)", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const texts = [
      "see https://github.com/torvalds/linux and mail bob.smith@example.org",
      "docs at docs.python.org/3/library then /usr/local/bin/tool",
      "upgrade to v1.2.3 or version 2.0, end.Then more",
      "nothing related here",
    ];
    await new MessagesRepository(store).append(texts.map((text, i) => message(`u${i}`, "#general", text, 1000 + i)));
    // Before, on PostgreSQL: every one of these found nothing.
    for (const [words, expected] of [
      ["linux", ["u0"]],
      ["torvalds", ["u0"]],
      ["github.com", ["u0"]],
      ["smith", ["u0"]],
      ["example.org", ["u0"]],
      ["bob.smith@example.org", ["u0"]],
      ["python", ["u1"]],
      ["usr/local", ["u1"]],
      ["v1", ["u2"]],
      ["version 2", ["u2"]],
      ["then", ["u2", "u1"]],
      ["linu", ["u0"]],
    ] as const) {
      assert.deepEqual(await find(store, words), expected, words);
    }
  });
});

forEachDialect("the search index behind the writes", (target) => {
  test("keeps up with a server storing more than a batch per interval: full batches are followed by the next one soon", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    // 5,000 messages: two full batches of 2,000 and the rest.
    const batch = Array.from({ length: 5000 }, (_, i) => message(`b${i}`, "#general", `busy word${i}`, 1000 + i));
    await new MessagesRepository(store).append(batch);
    const indexedUpTo = async () => Number((await sql<{ upto: number }>`select indexed_upto as upto from search_index_state`.execute(store.db)).rows[0]!.upto);
    const settled = async (expected: number) => {
      // The pass runs through promises on SQLite's synchronous driver: a few turns finish it.
      for (let i = 0; i < 50 && (await indexedUpTo()) !== expected; i++) await new Promise((resolve) => setImmediate(resolve));
      return await indexedUpTo();
    };
    t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
    const indexer = new SearchIndexer(store.db, store.dialect);
    indexer.start();
    database.track(() => indexer.stop());
    assert.equal(await indexedUpTo(), 0);
    t.mock.timers.tick(500);
    assert.equal(await settled(2000), 2000, "the first pass, after the interval");
    // The batch was full: the next pass comes well before another interval.
    t.mock.timers.tick(50);
    assert.equal(await settled(4000), 4000);
    t.mock.timers.tick(50);
    assert.equal(await settled(5000), 5000);
    // Caught up: back to the interval.
    t.mock.timers.tick(100);
    await new MessagesRepository(store).append([message("late", "#general", "a late word", 9000)]);
    t.mock.timers.tick(100);
    const turns = async () => {
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    await turns();
    assert.equal(await indexedUpTo(), 5000, "no pass before the interval once caught up");
    t.mock.timers.tick(300);
    assert.equal(await settled(5001), 5001);
    // Stopped: what is pending is indexed by stop() itself, and no timer runs a pass after it.
    await indexer.stop();
    await new MessagesRepository(store).append([message("after", "#general", "after the stop", 9500)]);
    t.mock.timers.tick(5000);
    await turns();
    assert.equal(await indexedUpTo(), 5001);
  });
}, { dialects: ["sqlite"] });

forEachDialect("the words a prefix search can stand for (SQLite's search_terms)", (target) => {
  test("are the full-text index's own words but those of digits only, for random ASCII text and text in other scripts", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const indexer = new SearchIndexer(store.db, store.dialect);
    // Every ASCII character, words of letters, digits and the characters between them, and
    // some text that is not ASCII (accents, another script, an emoji) beside it.
    const ascii = fc.string({ unit: "binary-ascii", maxLength: 60 });
    const wordy = fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{1,12}$/), fc.constantFrom(" ", "_", "-", "'", ".", "@", "#", "\t", "\x00", "\x7f", "Z9", "99")), { maxLength: 20 }).map((parts) => parts.join(""));
    const other = fc.constantFrom("Crème brûlée", "naïve café", "日本語 テキスト", "emoji 🎉 party", "Straße MASSE", "İstanbul ıi");
    const texts = fc.array(fc.oneof({ weight: 3, arbitrary: ascii }, { weight: 3, arbitrary: wordy }, { weight: 1, arbitrary: other }), { minLength: 1, maxLength: 40 });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(texts, async (batch) => {
        round++;
        await new MessagesRepository(store).append(batch.map((text, i) => message(`w${round}x${i}`, "#general", text, round * 1000 + i)));
        await indexer.catchUp();
        const kept = (await sql<{ term: string }>`select term from search_terms order by term`.execute(store.db)).rows.map((r) => r.term);
        await sql`create virtual table if not exists temp.index_words using fts5vocab(main, messages_fts, row)`.execute(store.db);
        // Filtered here, not with the store's own glob, so a wrong filter there shows.
        const indexed = (await sql<{ term: string }>`select term from temp.index_words order by term`.execute(store.db)).rows.map((r) => r.term).filter((term) => !/^[0-9]+$/.test(term));
        assert.deepEqual(kept, indexed);
      }),
      // One database for every run: after a failure the later runs would fail for it too, so
      // stop there rather than shrink towards a case that is not the cause.
      { numRuns: 150, endOnFailure: true },
    );
  });
}, { dialects: ["sqlite"] });
