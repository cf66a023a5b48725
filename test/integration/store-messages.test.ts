/**
 * Message history on every dialect: MessagesRepository queries (the CHATHISTORY
 * subcommands map onto them), conversations, offline DMs, retention, and the
 * HistoryWriter's group commit over the real store.
 */
import { test } from "node:test";
import { sql } from "kysely";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { GATHER_AFTER_BATCH, HistoryWriter } from "../../src/core/chat/history-writer.js";
import { directKey, type HistoryQuery, type HistoryRef, type HistoryStore, type StoredMessage } from "../../src/core/chat/history.js";
import { partyKey } from "../../src/core/chat/messaging.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";

let counter = 0;

function message(target: string, time: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  const n = ++counter;
  return {
    msgid: `msg-${process.pid}-${n}`,
    kind: "privmsg",
    target,
    targetDisplay: target.startsWith("#") ? target : "someone",
    senderNick: `nick${n}`,
    senderMask: `~user@host${n}.example`,
    senderAccount: null,
    recipientAccount: null,
    time,
    text: `message ${n} to ${target} at ${time}`,
    tags: null,
    ...extra,
  };
}

async function harness(t: TestContext, target: DialectTarget): Promise<{ store: Store; repository: MessagesRepository }> {
  const database = await target.create(t);
  const store = await database.open();
  // As the server makes it: on SQLite the prepared-statement path, on PostgreSQL the query builder.
  return { store, repository: new MessagesRepository(store) };
}

const byTime = (time: number): HistoryRef => ({ kind: "time", time });
const byId = (m: StoredMessage): HistoryRef => ({ kind: "msgid", msgid: m.msgid });
const ids = (messages: readonly StoredMessage[]) => messages.map((m) => m.msgid);

function query(target: string, direction: "before" | "after", from: HistoryRef | null, to: HistoryRef | null, limit: number): HistoryQuery {
  return { target, direction, from, to, limit };
}

/** A history store that counts batches and can be held or made to fail, around the real repository. */
function instrumented(inner: HistoryStore) {
  const batches: string[][] = [];
  let gate: Promise<void> | null = null;
  let release: () => void = () => {};
  let failNext: Error | null = null;
  const store: HistoryStore = {
    async append(messages) {
      batches.push(ids(messages));
      if (gate) await gate;
      if (failNext) {
        const error = failNext;
        failNext = null;
        throw error;
      }
      await inner.append(messages);
    },
    query: (q) => inner.query(q),
    conversations: (...a) => inner.conversations(...a),
    unreadDirect: (...a) => inner.unreadDirect(...a),
    findMessage: (...a) => inner.findMessage(...a),
    deleteMessage: (...a) => inner.deleteMessage(...a),
    prune: (...a) => inner.prune(...a),
  };
  return {
    store,
    batches,
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release() {
      gate = null;
      release();
    },
    failNextBatch(error: Error) {
      failNext = error;
    },
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

forEachDialect("message history (MessagesRepository + HistoryWriter)", (target) => {
  // Ten messages in #chan, several sharing a millisecond (ids break the ties), interleaved with #other.
  const TIMES = [1000, 1000, 1000, 2000, 2000, 3000, 4000, 4000, 4000, 5000];
  async function seeded(t: TestContext) {
    const h = await harness(t, target);
    const chan: StoredMessage[] = [];
    const other: StoredMessage[] = [];
    for (const time of TIMES) {
      chan.push(message("#chan", time));
      other.push(message("#other", time));
    }
    // Appended in several calls and interleaved, as the writer would.
    await h.repository.append(chan.slice(0, 4).flatMap((m, i) => [m, other[i]!]));
    await h.repository.append(chan.slice(4).flatMap((m, i) => [m, other[i + 4]!]));
    return { ...h, chan, other };
  }

  test("appended messages read back field for field (tags, nulls, kind, accounts) in ascending order", async (t) => {
    const h = await harness(t, target);
    const first = message("#chan", 10, { kind: "notice", senderAccount: "alice", tags: { "+draft/react": "👍", "+example.com/x": "a;b c\\d" } });
    const second = message("@alice bob", 11, { senderAccount: "alice", recipientAccount: "bob", targetDisplay: "Bob" });
    await h.repository.append([first, second]);
    assert.deepEqual(await h.repository.query(query("#chan", "before", null, null, 10)), [first]);
    assert.deepEqual(await h.repository.query(query("@alice bob", "before", null, null, 10)), [second]);
    await h.repository.append([]);
    assert.deepEqual(await h.repository.query(query("#nothing", "before", null, null, 10)), []);
  });

  test("LATEST: the newest N, returned oldest first; same-millisecond messages keep their append order", async (t) => {
    const h = await seeded(t);
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", null, null, 100))), ids(h.chan), "everything, in order, only #chan");
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", null, null, 4))), ids(h.chan.slice(6)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", null, null, 1))), ids(h.chan.slice(9)));
    // LATEST with a bound (CHATHISTORY LATEST #chan msgid=… n): newest N after it.
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", null, byId(h.chan[6]!), 100))), ids(h.chan.slice(7)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", null, byTime(2000), 100))), ids(h.chan.slice(5)));
  });

  test("BEFORE by msgid excludes the reference and later messages of the same millisecond; by time excludes the whole millisecond", async (t) => {
    const h = await seeded(t);
    const c = h.chan;
    // c[7] is the second of three messages at 4000: c[6] is before it, c[8] is not.
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byId(c[7]!), null, 3))), ids([c[4]!, c[5]!, c[6]!]));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byId(c[7]!), null, 100))), ids(c.slice(0, 7)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byId(c[1]!), null, 100))), ids([c[0]!]));
    assert.deepEqual(await h.repository.query(query("#chan", "before", byId(c[0]!), null, 100)), [], "nothing before the first");
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byTime(4000), null, 100))), ids(c.slice(0, 6)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byTime(4000), null, 2))), ids([c[4]!, c[5]!]));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byTime(4001), null, 2))), ids([c[7]!, c[8]!]));
  });

  test("AFTER by msgid includes later messages of the same millisecond; by time excludes the whole millisecond", async (t) => {
    const h = await seeded(t);
    const c = h.chan;
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byId(c[1]!), null, 3))), ids([c[2]!, c[3]!, c[4]!]));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byId(c[6]!), null, 100))), ids(c.slice(7)));
    assert.deepEqual(await h.repository.query(query("#chan", "after", byId(c[9]!), null, 100)), [], "nothing after the last");
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byTime(1000), null, 2))), ids([c[3]!, c[4]!]));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byTime(999), null, 2))), ids([c[0]!, c[1]!]));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", null, null, 2))), ids([c[0]!, c[1]!]), "after nothing = the oldest");
  });

  test("BETWEEN by msgid and by time, both directions, exclusive at both ends, limited from the start side", async (t) => {
    const h = await seeded(t);
    const c = h.chan;
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byId(c[1]!), byId(c[8]!), 100))), ids(c.slice(2, 8)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byId(c[1]!), byId(c[8]!), 3))), ids(c.slice(2, 5)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byId(c[8]!), byId(c[1]!), 3))), ids(c.slice(5, 8)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byTime(1000), byTime(4000), 100))), ids(c.slice(3, 6)));
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", byTime(5000), byTime(1000), 2))), ids(c.slice(7, 9)));
    // Mixed: from a time to a msgid.
    assert.deepEqual(ids(await h.repository.query(query("#chan", "after", byTime(1000), byId(c[7]!), 100))), ids(c.slice(3, 7)));
    assert.deepEqual(await h.repository.query(query("#chan", "after", byId(c[5]!), byId(c[5]!), 100)), [], "an empty range");
  });

  test("a msgid that is unknown, or belongs to another target, matches nothing", async (t) => {
    const h = await seeded(t);
    assert.deepEqual(await h.repository.query(query("#chan", "before", { kind: "msgid", msgid: "no-such-id" }, null, 100)), []);
    assert.deepEqual(await h.repository.query(query("#chan", "after", byId(h.other[3]!), null, 100)), [], "#other's msgid is not a bound in #chan");
    assert.deepEqual(await h.repository.query(query("#chan", "after", byId(h.chan[3]!), { kind: "msgid", msgid: "no-such-id" }, 100)), []);
  });

  test("findMessage and deleteMessage (message redaction) reach a message only through its own conversation", async (t) => {
    const h = await seeded(t);
    const target = h.chan[4]!;
    assert.deepEqual(await h.repository.findMessage("#chan", target.msgid), target);
    assert.equal(await h.repository.findMessage("#other", target.msgid), undefined);
    assert.equal(await h.repository.findMessage("#chan", "no-such-id"), undefined);
    assert.equal(await h.repository.deleteMessage("#other", target.msgid), false, "another conversation's message is not deleted");
    assert.equal(await h.repository.deleteMessage("#chan", target.msgid), true);
    assert.equal(await h.repository.deleteMessage("#chan", target.msgid), false, "a second delete finds nothing");
    assert.equal(await h.repository.findMessage("#chan", target.msgid), undefined);
    assert.deepEqual(ids(await h.repository.query(query("#chan", "before", null, null, 100))), ids(h.chan.filter((m) => m !== target)));
    assert.equal((await h.repository.query(query("#other", "before", null, null, 100))).length, h.other.length);
    // A deleted msgid is no bound any more: nothing is found around it.
    assert.deepEqual(await h.repository.query(query("#chan", "after", byId(target), null, 100)), []);
  });

  test("conversations: the channels asked for and the account's direct chats with activity in the window, newest first", async (t) => {
    const h = await harness(t, target);
    const aliceBob = directKey(partyKey("Alice", "Alice"), partyKey("bob", "bob"));
    const aliceGuest = directKey(partyKey("alice", "alice"), partyKey(null, "Guest42"));
    const bobCarol = directKey(partyKey("bob", "bob"), partyKey("carol", "carol"));
    assert.equal(aliceBob, "@alice bob");
    assert.equal(aliceGuest, "@alice ~guest42");
    await h.repository.append([
      message("#a", 100, { targetDisplay: "#A" }),
      message("#a", 500, { targetDisplay: "#A" }),
      message("#b", 300, { targetDisplay: "#b" }),
      message("#c", 900),
      message(aliceBob, 200, { senderAccount: "bob", recipientAccount: "alice", targetDisplay: "Alice" }),
      message(aliceBob, 700, { senderAccount: "alice", recipientAccount: "bob", targetDisplay: "bob" }),
      message(aliceGuest, 400, { senderAccount: "alice", recipientAccount: null, targetDisplay: "Guest42" }),
      message(bobCarol, 800, { senderAccount: "bob", recipientAccount: "carol", targetDisplay: "carol" }),
      message("#a", 2000),
    ]);
    const all = await h.repository.conversations(["#a", "#b"], "alice", 0, 1000, 100);
    assert.deepEqual(
      all.map((c) => [c.target, c.latest]),
      [
        [aliceBob, 700],
        ["#a", 500],
        [aliceGuest, 400],
        ["#b", 300],
      ],
    );
    assert.equal(all.find((c) => c.target === "#a")?.targetDisplay, "#A");
    assert.deepEqual((await h.repository.conversations(["#a", "#b"], "alice", 0, 1000, 2)).map((c) => c.target), [aliceBob, "#a"], "limit");
    assert.deepEqual((await h.repository.conversations(["#a", "#b"], "alice", 300, 700, 100)).map((c) => c.target), ["#a", aliceGuest], "exclusive window");
    assert.deepEqual((await h.repository.conversations(["#a"], null, 0, 1000, 100)).map((c) => c.target), ["#a"], "channels only");
    assert.deepEqual((await h.repository.conversations([], "carol", 0, 1000, 100)).map((c) => c.target), [bobCarol], "direct chats only");
    assert.deepEqual(await h.repository.conversations([], null, 0, 10_000, 100), [], "nothing asked, nothing returned");
  });

  test("unreadDirect: the account's direct messages after a time, oldest first, limited", async (t) => {
    const h = await harness(t, target);
    const key = directKey("alice", "bob");
    const toAlice = [message(key, 100, { recipientAccount: "alice", senderAccount: "bob" }), message(key, 200, { recipientAccount: "alice", senderAccount: "bob" }), message(key, 200, { recipientAccount: "alice", senderAccount: "bob" }), message(directKey("alice", "~x"), 300, { recipientAccount: "alice" })];
    await h.repository.append([toAlice[0]!, message(key, 150, { recipientAccount: "bob", senderAccount: "alice" }), toAlice[1]!, message("#chan", 250), toAlice[2]!, toAlice[3]!]);
    assert.deepEqual(ids(await h.repository.unreadDirect("alice", 0, 100)), ids(toAlice));
    assert.deepEqual(ids(await h.repository.unreadDirect("alice", 100, 100)), ids(toAlice.slice(1)), "strictly after `since`");
    assert.deepEqual(ids(await h.repository.unreadDirect("alice", 0, 2)), ids(toAlice.slice(0, 2)));
    assert.deepEqual(await h.repository.unreadDirect("alice", 300, 100), []);
    assert.deepEqual(await h.repository.unreadDirect("carol", 0, 100), []);
  });

  test("prune by age deletes messages older than the cut-off, by count keeps the newest N of each target", async (t) => {
    const h = await harness(t, target);
    const a = [100, 200, 300, 300, 300, 400].map((time) => message("#a", time));
    const b = [150, 250].map((time) => message("#b", time));
    const d = [50, 60, 70, 80].map((time) => message("@x y", time));
    await h.repository.append([...a, ...b, ...d]);
    const everything = async (target: string) => ids(await h.repository.query(query(target, "after", null, null, 1000)));

    assert.equal(await h.repository.prune(null, null), 0, "no retention, nothing deleted");
    assert.equal(await h.repository.prune(150, null), 5, "time < 150: a[0] and all four of @x y");
    assert.deepEqual(await everything("#a"), ids(a.slice(1)));
    assert.deepEqual(await everything("#b"), ids(b), "150 itself stays");
    assert.deepEqual(await everything("@x y"), []);

    // Keep 2 per target: #a keeps its two newest (a[4] beats a[3] at the same millisecond by id).
    assert.equal(await h.repository.prune(null, 2), 3);
    assert.deepEqual(await everything("#a"), ids([a[4]!, a[5]!]));
    assert.deepEqual(await everything("#b"), ids(b));
    assert.equal(await h.repository.prune(null, 2), 0, "idempotent");

    // Both at once.
    await h.repository.append([message("#b", 500), message("#b", 600)]);
    assert.equal(await h.repository.prune(300, 1), 4, "b's two old ones by age, then one of each target by count");
    assert.equal((await everything("#a")).length, 1);
    assert.equal((await everything("#b")).length, 1);
  });

  test("prune works in batches: with a batch of 3 rows it still deletes everything due, and nothing else", async (t) => {
    const h = await harness(t, target);
    const old = Array.from({ length: 10 }, (_, i) => message("#a", 100 + i));
    const kept = [message("#a", 500), message("#b", 510)];
    await h.repository.append([...old, ...kept]);
    const stopped = new AbortController();
    stopped.abort();
    assert.equal(await h.repository.prune(200, null, { batchRows: 3, signal: stopped.signal }), 0, "a pass told to stop runs no statement");
    assert.equal(await h.repository.prune(200, null, { batchRows: 3 }), 10, "four statements: 3 + 3 + 3 + 1");
    assert.deepEqual(ids(await h.repository.query(query("#a", "after", null, null, 100))), ids([kept[0]!]));
    await h.repository.append(Array.from({ length: 7 }, (_, i) => message("#b", 600 + i)));
    assert.equal(await h.repository.prune(null, 2, { batchRows: 3 }), 6, "#b keeps its two newest of eight, three rows at a time");
    assert.equal(await h.repository.prune(null, 2, { batchRows: 3 }), 0);
  });

  test("prune by age with statements sized by time: a pass longer than the first statement still deletes everything due, and nothing else", async (t) => {
    const h = await harness(t, target);
    const old = Array.from({ length: 260 }, (_, i) => message(`#r${i % 7}`, 100 + i));
    const kept = Array.from({ length: 5 }, (_, i) => message(`#r${i}`, 1000 + i));
    await h.repository.append([...old, ...kept]);
    assert.equal(await h.repository.prune(900, null), 260, "more than the first statement's 50 rows: several statements of adapting size");
    for (let i = 0; i < 7; i++) {
      const left = await h.repository.query(query(`#r${i}`, "after", null, null, 100));
      assert.deepEqual(ids(left), ids(kept.filter((m) => m.target === `#r${i}`)), `#r${i} keeps only its new messages`);
    }
  });

  test("HistoryWriter: appends made in one turn are written as one batch, in order, and each caller learns when it is stored", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    const writer = new HistoryWriter(spy.store);
    const messages = Array.from({ length: 300 }, (_, i) => message("#busy", 1000 + Math.floor(i / 7)));
    await Promise.all(messages.map((m) => writer.append(m)));
    assert.equal(spy.batches.length, 1, "one transaction for 300 concurrent appends");
    assert.deepEqual(spy.batches[0], ids(messages));
    assert.deepEqual(ids(await h.repository.query(query("#busy", "after", null, null, 1000))), ids(messages), "stored in append order");
  });

  test("HistoryWriter: appends made while a batch is being written form the next batch, written after it, in order", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    const writer = new HistoryWriter(spy.store);
    const first = Array.from({ length: 50 }, () => message("#busy", 1000));
    const second = Array.from({ length: 70 }, () => message("#busy", 1000));
    spy.hold();
    const settled: string[] = [];
    const firstDone = Promise.all(first.map((m) => writer.append(m).then(() => settled.push(m.msgid))));
    await tick();
    await tick();
    assert.equal(spy.batches.length, 1, "the first batch is being written");
    const secondDone = Promise.all(second.map((m) => writer.append(m).then(() => settled.push(m.msgid))));
    await tick();
    await tick();
    assert.equal(spy.batches.length, 1, "the second waits for the first");
    assert.deepEqual(settled, [], "nothing acknowledged before it is stored");
    spy.release();
    await Promise.all([firstDone, secondDone]);
    await writer.drain();
    assert.deepEqual(spy.batches, [ids(first), ids(second)]);
    assert.deepEqual(settled, ids([...first, ...second]), "acknowledged in order");
    assert.deepEqual(ids(await h.repository.query(query("#busy", "after", null, null, 1000))), ids([...first, ...second]));
  });

  /** "stored" if `append` (a writer's) settles within 5 s: not held for a commit interval of a minute. */
  async function storedPromptly(append: Promise<void>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve("still waiting after 5 s"), 5000)));
    const outcome = await Promise.race([append.then(() => "stored"), late]);
    clearTimeout(timer);
    return outcome;
  }

  /** Appends GATHER_AFTER_BATCH messages in one turn and waits for them: one commit large enough to mean load. */
  async function busyCommit(writer: HistoryWriter, target: string): Promise<StoredMessage[]> {
    const burst = Array.from({ length: GATHER_AFTER_BATCH }, () => message(target, 1000));
    await Promise.all(burst.map((m) => writer.append(m)));
    return burst;
  }

  test("HistoryWriter: a batch that outlasts its senders' timeout is never stored, as they were told it failed (nor one waiting behind it)", async (t) => {
    const h = await harness(t, target);
    const writer = new HistoryWriter(h.repository, { timeoutMs: 300 });
    let release = (): void => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = (): void => {};
    const held = new Promise<void>((resolve) => (holding = resolve));
    // Something else holds the table past the timeout: on PostgreSQL a lock, on SQLite its one connection.
    const holder = h.store.db.transaction().execute(async (trx) => {
      if (target.dialect === "postgres") await sql`lock table messages in exclusive mode`.execute(trx);
      holding();
      await released;
    });
    await held;
    const first = writer.append(message("#slow", 1000));
    await tick();
    const second = writer.append(message("#slow", 2000));
    await assert.rejects(first, /did not answer in time/);
    await assert.rejects(second, /did not answer in time/);
    release();
    await holder;
    await writer.drain();
    // Before: both were written once the table was free, though their senders had been told FAIL.
    assert.deepEqual(ids(await h.repository.query(query("#slow", "before", null, null, 10))), []);
    const later = message("#slow", 3000);
    await writer.append(later);
    assert.deepEqual(ids(await h.repository.query(query("#slow", "before", null, null, 10))), [later.msgid]);
  });

  test("HistoryWriter with a commit interval: after a small commit the next message is stored at once; after a large one, those of the next turns wait for the interval and go in one commit; drain writes them at once", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    const writer = new HistoryWriter(spy.store, { commitIntervalMs: 60_000, timeoutMs: 300_000 });
    const quiet = [message("#calm", 900), message("#calm", 901)];
    for (const m of quiet) assert.equal(await storedPromptly(writer.append(m)), "stored", "after a commit of one message, no wait for the interval");
    assert.deepEqual(spy.batches, quiet.map((m) => [m.msgid]));
    const burst = await busyCommit(writer, "#calm");
    const settled: string[] = [];
    const gathered = [message("#calm", 1001), message("#calm", 1002), message("#calm", 1003)];
    const done: Promise<unknown>[] = [];
    for (const m of gathered) {
      done.push(writer.append(m).then(() => settled.push(m.msgid)));
      await tick();
      await tick();
    }
    assert.equal(spy.batches.length, 3, "the three after the burst wait: the last commit was large and started within the interval");
    assert.deepEqual(settled, [], "nothing acknowledged before it is stored");
    await writer.drain();
    await Promise.all(done);
    assert.deepEqual(spy.batches.at(-1), ids(gathered), "one commit for what gathered, in order");
    assert.deepEqual(settled, ids(gathered));
    assert.deepEqual(ids(await h.repository.query(query("#calm", "after", null, null, 100))), ids([...quiet, ...burst, ...gathered]));
  });

  test("HistoryWriter: a commit interval set to 0 (a reload) stores a waiting batch, and the next messages, at once", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    const writer = new HistoryWriter(spy.store, { commitIntervalMs: 60_000, timeoutMs: 300_000 });
    await busyCommit(writer, "#tuned");
    const waiting = writer.append(message("#tuned", 1001));
    await tick();
    await tick();
    assert.equal(spy.batches.length, 1, "it waits for the interval");
    writer.setCommitInterval(0);
    assert.equal(await storedPromptly(waiting), "stored", "the waiting batch no longer waits for the old interval's minute");
    assert.equal(await storedPromptly(writer.append(message("#tuned", 1002))), "stored", "nor does the next");
    assert.equal(spy.batches.length, 3, "each in a commit of its own");
    await writer.drain();
  });

  test("HistoryWriter with a commit interval of a second: what gathered after a large commit is written when the interval ends, without a drain", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    const writer = new HistoryWriter(spy.store, { commitIntervalMs: 1000 });
    await busyCommit(writer, "#soon");
    const later = [message("#soon", 1001), message("#soon", 1002)];
    const pending = [writer.append(later[0]!)];
    await tick();
    pending.push(writer.append(later[1]!));
    await Promise.all(pending);
    assert.equal(spy.batches.length, 2);
    assert.deepEqual(spy.batches[1], ids(later));
  });

  test("HistoryWriter: batchAnswered comes once per batch, stored or refused, and a tick queued then runs after every sender's callbacks", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    // What each tick queued at batchAnswered saw: how many senders had run their callbacks by then.
    const seenAtTick: number[] = [];
    let answered = 0;
    const writer = new HistoryWriter(spy.store, { events: { batchAnswered: () => process.nextTick(() => seenAtTick.push(answered)) } });
    const stored = Array.from({ length: 30 }, () => message("#ticks", 1000));
    // Two promise hops after the answer, as a sender's delivery is.
    await Promise.all(stored.map(async (m) => (await writer.append(m).then(async () => Promise.resolve()), answered++)));
    spy.failNextBatch(new Error("disk full"));
    const refused = Array.from({ length: 10 }, () => message("#ticks", 2000));
    await Promise.all(refused.map((m) => writer.append(m).catch(() => answered++)));
    await writer.drain();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seenAtTick, [30, 40]);
  });

  test("HistoryWriter: a failing store rejects every waiter of that batch; the next batches are written; the outage is told once, and its end", async (t) => {
    const h = await harness(t, target);
    const spy = instrumented(h.repository);
    const told: string[] = [];
    const writer = new HistoryWriter(spy.store, {
      events: { failing: (error) => told.push(`failing: ${(error as Error).message}`), recovered: (refused) => told.push(`recovered: ${JSON.stringify(refused)}`) },
    });
    const ok1 = Array.from({ length: 5 }, () => message("#flaky", 1000));
    await Promise.all(ok1.map((m) => writer.append(m)));

    spy.failNextBatch(new Error("disk full"));
    const doomed = Array.from({ length: 8 }, () => message("#flaky", 2000));
    const outcomes = await Promise.allSettled(doomed.map((m) => writer.append(m)));
    assert.deepEqual(
      outcomes.map((o) => (o.status === "rejected" ? (o.reason as Error).message : "fulfilled")),
      doomed.map(() => "disk full"),
      "every waiter of the batch is told",
    );
    spy.failNextBatch(new Error("still full"));
    await assert.rejects(writer.append(message("#flaky", 2500)), /still full/);
    assert.deepEqual(told, ["failing: disk full"], "one report for the outage, not one per batch");

    const ok2 = Array.from({ length: 6 }, () => message("#flaky", 3000));
    await Promise.all(ok2.map((m) => writer.append(m)));
    await writer.drain();
    assert.deepEqual(ids(await h.repository.query(query("#flaky", "after", null, null, 100))), ids([...ok1, ...ok2]), "nothing of the failed batch, everything else");
    assert.deepEqual(told, ["failing: disk full", `recovered: ${JSON.stringify({ batches: 2, messages: 9 })}`]);
  });

  test("HistoryWriter over the real store: a batch the database refuses (duplicate msgid) is rolled back whole and every waiter rejected", async (t) => {
    const h = await harness(t, target);
    const writer = new HistoryWriter(h.repository);
    const existing = message("#dup", 1);
    await writer.append(existing);
    const batch = [message("#dup", 2), message("#dup", 3), { ...message("#dup", 4), msgid: existing.msgid }, message("#dup", 5)];
    const outcomes = await Promise.allSettled(batch.map((m) => writer.append(m)));
    assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "rejected", "rejected", "rejected"]);
    assert.deepEqual(ids(await h.repository.query(query("#dup", "after", null, null, 100))), [existing.msgid], "no partial batch");
    // The connection (and the writer) are fine afterwards.
    const later = [message("#dup", 6), message("#dup", 7)];
    await Promise.all(later.map((m) => writer.append(m)));
    assert.deepEqual(ids(await h.repository.query(query("#dup", "after", null, null, 100))), ids([existing, ...later]));
  });
});
