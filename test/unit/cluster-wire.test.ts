/**
 * What arrives on Redis is another process's word: a node of another version, or a
 * compromised one, may send a valid envelope with anything inside. decodeWire keeps only
 * messages of the exact shape this version sends, so nothing malformed reaches the replica
 * or the sessions (where it would throw out of the subscriber's handler or corrupt state).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatCore } from "../../src/core/chat/chat-core.js";
import { TEST_CHAT_LIMITS } from "../support/chat-limits.js";
import type { ChatEvent } from "../../src/core/chat/events.js";
import type { Session } from "../../src/core/chat/session.js";
import { RedisBus } from "../../src/cluster/redis-bus.js";
import { decodeWire } from "../../src/cluster/wire.js";

const limits = TEST_CHAT_LIMITS;

class RecordingSession implements Session {
  static next = 0;
  readonly id = `s${RecordingSession.next++}`;
  readonly events: ChatEvent[] = [];
  deliver(event: ChatEvent): void {
    this.events.push(event);
  }
  close(): void {}
}

/** Two nodes over one modelled pub/sub log (as in cluster-replica.test.ts); `sent` is every text published. */
function twoNodes(): { a: ChatCore; busA: RedisBus; b: ChatCore; sent: string[]; readInto: (core: ChatCore, texts: readonly string[]) => void } {
  const sent: string[] = [];
  const busA = new RedisBus("a~1", { up: true, send: (_channel, text) => sent.push(text) });
  const busB = new RedisBus("b~1", { up: true, send: () => {} });
  const a = new ChatCore(limits, busA);
  const b = new ChatCore(limits, busB);
  const buses = new Map<ChatCore, RedisBus>([
    [a, busA],
    [b, busB],
  ]);
  const readInto = (core: ChatCore, texts: readonly string[]): void => {
    for (const text of texts) {
      for (const message of decodeWire(text)) {
        if (message.k === "p") buses.get(core)!.receive(message.p);
        else if (message.k === "s") core.replica.apply(message.s, message.o);
        else if (message.k === "hello" || message.k === "snap") core.replica.applySnapshot(message.o, message.snapshot, "test");
      }
    }
  };
  return { a, busA, b, sent, readInto };
}

const user = { id: "x~1.1", nick: "mallory", username: "m", realname: "m", hostname: "h", address: "a", secure: false, signedOnAt: 1, account: null, away: null, isOperator: false, invisible: false, wallops: false, bot: false, multiclient: false };

/** Valid envelopes (a string `o`, a known `k`) with the wrong things inside. */
const HOSTILE: readonly unknown[] = [
  { o: "x~1", k: "p" },
  { o: "x~1", k: "p", p: null },
  { o: "x~1", k: "p", p: { scope: null, event: { type: "quit" } } },
  { o: "x~1", k: "p", p: { scope: { kind: "channel", channel: 5 }, event: { type: "message" }, fromSession: null, skipOrigin: false } },
  { o: "x~1", k: "p", p: { scope: { kind: "users", users: "abc" }, event: { type: "message", from: null }, fromSession: null, skipOrigin: false } },
  { o: "x~1", k: "p", p: { scope: { kind: "everyone" }, event: { type: "message", kind: "privmsg", from: { id: 1 }, target: "#a", text: "x", tags: null, msgid: "m", time: 1 }, fromSession: null, skipOrigin: false } },
  { o: "x~1", k: "s" },
  { o: "x~1", k: "s", s: null },
  { o: "x~1", k: "s", s: { op: "user" } },
  { o: "x~1", k: "s", s: { op: "user", user: { ...user, nick: 42 } } },
  { o: "x~1", k: "s", s: { op: "join", user: "x~1.1", channel: null, createdAt: 1, chanop: true, voice: false, stamp: null, state: null } },
  { o: "x~1", k: "s", s: { op: "channel", state: { name: "#a" } } },
  { o: "x~1", k: "s", s: { op: "nick", user: "x~1.1", nick: null, oldNick: "y" } },
  { o: "x~1", k: "hello", name: "x" },
  { o: "x~1", k: "hello", name: "x", snapshot: { users: "many", channels: [] } },
  { o: "x~1", k: "hello", name: "x", snapshot: { users: [{ user, channels: [[null, 1, true, false]] }], channels: [] } },
  { o: "x~1", k: "snap", name: 7, snapshot: { users: [], channels: [] } },
  { o: "x~1", k: "snap", name: "x", snapshot: { users: [], channels: [{ name: "#a", ranks: 3 }] } },
];

test("decodeWire leaves out every message whose inside is not what a node sends", () => {
  for (const value of HOSTILE) assert.deepEqual(decodeWire(JSON.stringify(value)), [], JSON.stringify(value));
  // In a batch, the good ones around a bad one still count.
  const good = { o: "x~1", k: "bye" };
  assert.deepEqual(decodeWire(JSON.stringify([good, HOSTILE[0], good])), [good, good]);
});

test("a node reading hostile messages neither throws nor changes what it holds, and still reads what follows", () => {
  const { a, busA, b, sent, readInto } = twoNodes();
  const alice = new RecordingSession();
  const result = a.connect(alice, { nick: "alice", username: "a", realname: "A", hostname: "h", address: "127.0.0.1", secure: false });
  assert.ok(result.ok);
  a.join(result.user, "#a", undefined);
  const bob = new RecordingSession();
  const bobResult = b.connect(bob, { nick: "bob", username: "b", realname: "B", hostname: "h", address: "127.0.0.1", secure: false });
  assert.ok(bobResult.ok);
  const hostile = HOSTILE.map((value) => JSON.stringify(value));
  assert.doesNotThrow(() => readInto(b, hostile));
  assert.deepEqual([...b.users()].map((u) => u.nick), ["bob"]);
  // The real traffic that follows is read as usual (a command's changes leave as one Redis message when it ends).
  busA.flush();
  const texts = [...sent];
  sent.length = 0;
  readInto(b, texts);
  assert.deepEqual([...b.users()].map((u) => u.nick).sort(), ["alice", "bob"]);
  assert.equal(b.findChannel("#a")?.members.size, 1);
});

test("a node's snapshot or user op cannot rename, re-field or re-place a user that lives on another node", () => {
  const { a, b, busA, sent, readInto } = twoNodes();
  const alice = new RecordingSession();
  const result = a.connect(alice, { nick: "alice", username: "a", realname: "A", hostname: "h", address: "127.0.0.1", secure: false });
  assert.ok(result.ok);
  busA.flush();
  readInto(b, sent);
  const bob = new RecordingSession();
  const bobResult = b.connect(bob, { nick: "bob", username: "b", realname: "B", hostname: "h", address: "127.0.0.1", secure: false });
  assert.ok(bobResult.ok);
  const claim = (id: string, nick: string) => ({ ...user, id, nick, account: "stolen", isOperator: true });
  // Node x names b's own user and a's user as its own.
  readInto(b, [
    JSON.stringify({ o: "x~1", k: "hello", name: "x", snapshot: { users: [{ user: claim(bobResult.user.id, "evil"), channels: [["#x", 1, true, false]] }, { user: claim(result.user.id, "evil2"), channels: [] }], channels: [] } }),
    JSON.stringify({ o: "x~1", k: "s", s: { op: "user", user: claim(bobResult.user.id, "evil3") } }),
  ]);
  const bobNow = b.userById(bobResult.user.id)!;
  assert.equal(bobNow.nick, "bob");
  assert.equal(bobNow.account, null);
  assert.equal(bobNow.isOperator, false);
  assert.equal(bobNow.channels.size, 0);
  const aliceThere = b.userById(result.user.id)!;
  assert.equal(aliceThere.nick, "alice");
  assert.equal(aliceThere.node, "a~1");
  assert.equal(aliceThere.account, null);
  assert.equal(b.findChannel("#x"), undefined);
});

test("a detach op carries the reason the session ended with, and one from a node of the previous version (none) still counts", () => {
  const withReason = { o: "x~1", k: "s", s: { op: "detach", user: "y~1.1", reason: "Quit: bye" } };
  const previous = { o: "x~1", k: "s", s: { op: "detach", user: "y~1.1" } };
  assert.deepEqual(decodeWire(JSON.stringify([withReason, previous])), [withReason, previous]);
  assert.deepEqual(decodeWire(JSON.stringify({ o: "x~1", k: "s", s: { op: "detach", user: "y~1.1", reason: 7 } })), [], "a reason that is not text is refused");
});
