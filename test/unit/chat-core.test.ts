import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatCore, clip, type ChatLimits } from "../../src/core/chat/chat-core.js";
import type { ChatEvent } from "../../src/core/chat/events.js";
import type { Session } from "../../src/core/chat/session.js";
import type { ChatUser } from "../../src/core/chat/user.js";
import type { ModeRequest } from "../../src/core/chat/channel-modes.js";
import { InProcessBus } from "../../src/bus/in-process-bus.js";
import { Messaging, type AccountDirectory, type SendResult } from "../../src/core/chat/messaging.js";
import type { ClientTags, MessageKind } from "../../src/core/chat/events.js";

/** A test double for the session (not for the core): it records what the core hands it. */
let sessionIds = 0;

class RecordingSession implements Session {
  readonly id = `s${sessionIds++}`;
  readonly events: ChatEvent[] = [];
  readonly closed: string[] = [];
  deliver(event: ChatEvent): void {
    this.events.push(event);
  }
  close(reason: string): void {
    this.closed.push(reason);
  }
  ofType<T extends ChatEvent["type"]>(type: T): Array<Extract<ChatEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<ChatEvent, { type: T }> => e.type === type);
  }
  clear(): void {
    this.events.length = 0;
  }
}

const LIMITS: ChatLimits = {
  nickLength: 30,
  channelLength: 64,
  topicLength: 390,
  kickLength: 390,
  awayLength: 390,
  realnameLength: 128,
  maxChannelsPerUser: 50,
  maxListEntries: 100,
  whowasLength: 100,
  maxMessageBytes: 4096,
};

interface World {
  core: ChatCore;
  messaging: Messaging;
  /** Sends through the messaging layer without history, as a server with history off does. */
  send(user: ChatUser, target: string, kind: MessageKind, text: string, tags: ClientTags | null): Promise<SendResult>;
  advance(ms: number): void;
  connect(nick: string, username?: string, hostname?: string): { user: ChatUser; session: RecordingSession };
}

function world(limits: Partial<ChatLimits> = {}, accounts: AccountDirectory = { exists: async () => false }): World {
  let time = 1_700_000_000_000;
  const core = new ChatCore({ ...LIMITS, ...limits }, new InProcessBus(), () => time);
  const messaging = new Messaging(core, null, accounts);
  return {
    core,
    messaging,
    // Sent from the user's (only) session, which gets no copy of its own message.
    send: async (user, target, kind, text, tags) => messaging.send(user, target, kind, text, tags, [...user.sessions()][0]?.id ?? null),
    advance: (ms) => {
      time += ms;
    },
    connect(nick, username = `~${nick.toLowerCase()}`, hostname = "host.example") {
      const session = new RecordingSession();
      const result = core.connect(session, { nick, username, realname: `${nick} Real`, hostname, address: "192.0.2.1", secure: false });
      assert.ok(result.ok, `connect ${nick}: ${JSON.stringify(result)}`);
      return { user: result.user, session };
    },
  };
}

function joinOk(core: ChatCore, user: ChatUser, name: string, key?: string) {
  const result = core.join(user, name, key);
  assert.ok(result.ok, `join ${name}: ${JSON.stringify(result)}`);
  return result;
}

function modesOk(core: ChatCore, user: ChatUser, name: string, requests: ModeRequest[]) {
  const result = core.changeModes(user, name, requests);
  assert.ok(result.ok, `modes on ${name}: ${JSON.stringify(result)}`);
  return result;
}

function clearAll(...sessions: RecordingSession[]): void {
  for (const session of sessions) session.clear();
}

// ── connect ───────────────────────────────────────────────────────────────

test("connect refuses invalid nicks and nicks in use, case-insensitively", () => {
  const w = world();
  w.connect("Alice");
  assert.deepEqual(w.core.connect(new RecordingSession(), { nick: "alice", username: "~a", realname: "", hostname: "h", address: "1.2.3.4", secure: false }), {
    ok: false,
    reason: "nick-in-use",
  });
  assert.deepEqual(w.core.connect(new RecordingSession(), { nick: "1bad", username: "~a", realname: "", hostname: "h", address: "1.2.3.4", secure: false }), {
    ok: false,
    reason: "erroneous-nick",
  });
  assert.equal(w.core.stats().users, 1);
});

test("users are found case-insensitively and keep the case they chose", () => {
  const w = world();
  const { user } = w.connect("Alice");
  assert.equal(w.core.findUser("ALICE"), user);
  assert.equal(w.core.findUser("alice"), user);
  assert.equal(w.core.findUser("alice")!.nick, "Alice");
  assert.equal(w.core.findUser("bob"), undefined);
});

// ── join ────────────────────────────────────────────────────────────────────

test("the first joiner creates the channel and is op; later joiners are not", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const first = joinOk(w.core, alice.user, "#Room");
  assert.equal(first.created, true);
  assert.equal(first.alreadyMember, false);
  assert.equal(first.channel.name, "#Room");
  assert.ok(first.channel.isOp(alice.user));
  const second = joinOk(w.core, bob.user, "#room");
  assert.equal(second.created, false);
  assert.equal(second.channel, first.channel);
  assert.ok(!second.channel.isOp(bob.user));
  assert.deepEqual(second.channel.members.get(bob.user), { op: false, voice: false });
});

test("a join is delivered once to every member, including the joiner, and to nobody else", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const outsider = w.connect("carol");
  joinOk(w.core, alice.user, "#room");
  assert.equal(alice.session.ofType("join").length, 1);
  clearAll(alice.session);
  joinOk(w.core, bob.user, "#room");
  for (const s of [alice.session, bob.session]) {
    assert.equal(s.events.length, 1);
    const [event] = s.ofType("join");
    assert.equal(event!.from.nick, "bob");
    assert.equal(event!.channel, "#room");
    assert.equal(event!.realname, "bob Real");
  }
  assert.equal(outsider.session.events.length, 0);
});

test("joining a channel one is already in changes nothing and sends nothing", () => {
  const w = world();
  const alice = w.connect("alice");
  joinOk(w.core, alice.user, "#room");
  alice.session.clear();
  const again = joinOk(w.core, alice.user, "#ROOM");
  assert.equal(again.alreadyMember, true);
  assert.equal(again.created, false);
  assert.equal(alice.session.events.length, 0);
  assert.ok(again.channel.isOp(alice.user), "still op");
});

test("join refuses bad channel names and too many channels", () => {
  const w = world({ maxChannelsPerUser: 2 });
  const alice = w.connect("alice");
  assert.deepEqual(w.core.join(alice.user, "room", undefined), { ok: false, reason: "bad-channel-name" });
  assert.deepEqual(w.core.join(alice.user, "#a b", undefined), { ok: false, reason: "bad-channel-name" });
  joinOk(w.core, alice.user, "#one");
  joinOk(w.core, alice.user, "#two");
  assert.deepEqual(w.core.join(alice.user, "#three", undefined), { ok: false, reason: "too-many-channels" });
  assert.equal(w.core.findChannel("#three"), undefined);
});

test("+i refuses uninvited users; an invite from an op lets one in once", () => {
  const w = world();
  const op = w.connect("op");
  const guest = w.connect("guest");
  joinOk(w.core, op.user, "#priv");
  modesOk(w.core, op.user, "#priv", [{ kind: "flag", mode: "invite-only", on: true }]);
  assert.deepEqual(w.core.join(guest.user, "#priv", undefined), { ok: false, reason: "invite-only" });

  clearAll(op.session, guest.session);
  const invite = w.core.invite(op.user, "GUEST", "#PRIV", op.session.id);
  assert.ok(invite.ok);
  assert.equal(invite.target, guest.user);
  const [event] = guest.session.ofType("invite");
  assert.equal(event!.channel, "#priv");
  assert.equal(event!.target, "guest");
  assert.equal(event!.from.nick, "op");
  assert.equal(op.session.ofType("invite").length, 0, "the inviter is not told of its own invite");

  joinOk(w.core, guest.user, "#priv");
  assert.ok(w.core.findChannel("#priv")!.members.has(guest.user));
  // The invitation is consumed: after leaving, +i applies again.
  assert.ok(w.core.part(guest.user, "#priv", "").ok);
  assert.deepEqual(w.core.join(guest.user, "#priv", undefined), { ok: false, reason: "invite-only" });
});

test("+I (invite exception) lets a matching user past +i", () => {
  const w = world();
  const op = w.connect("op");
  const friend = w.connect("friend", "~f", "friends.example");
  const stranger = w.connect("stranger", "~s", "elsewhere.example");
  joinOk(w.core, op.user, "#priv");
  modesOk(w.core, op.user, "#priv", [
    { kind: "flag", mode: "invite-only", on: true },
    { kind: "list", mode: "invite-exception", on: true, mask: "*!*@*.EXAMPLE" },
    { kind: "list", mode: "invite-exception", on: true, mask: "*!*@friends.example" },
  ]);
  modesOk(w.core, op.user, "#priv", [{ kind: "list", mode: "invite-exception", on: false, mask: "*!*@*.example" }]);
  joinOk(w.core, friend.user, "#priv");
  assert.deepEqual(w.core.join(stranger.user, "#priv", undefined), { ok: false, reason: "invite-only" });
});

test("invite refusals: unknown nick, inviter not on channel, non-op under +i, target already there", () => {
  const w = world();
  const op = w.connect("op");
  const member = w.connect("member");
  const outsider = w.connect("outsider");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, member.user, "#c");
  assert.deepEqual(w.core.invite(op.user, "nobody", "#c", op.session.id), { ok: false, reason: "no-such-nick" });
  assert.deepEqual(w.core.invite(outsider.user, "op", "#c", outsider.session.id), { ok: false, reason: "not-on-channel" });
  assert.deepEqual(w.core.invite(op.user, "member", "#c", op.session.id), { ok: false, reason: "user-on-channel" });
  modesOk(w.core, op.user, "#c", [{ kind: "flag", mode: "invite-only", on: true }]);
  assert.deepEqual(w.core.invite(member.user, "outsider", "#c", member.session.id), { ok: false, reason: "chanop-needed" });
  assert.deepEqual(w.core.join(outsider.user, "#c", undefined), { ok: false, reason: "invite-only" });
});

test("an invite is also delivered once to the channel's other ops (invite-notify), not to plain members", () => {
  const w = world();
  const op = w.connect("op");
  const op2 = w.connect("op2");
  const plain = w.connect("plain");
  const guest = w.connect("guest");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, op2.user, "#c");
  joinOk(w.core, plain.user, "#c");
  modesOk(w.core, op.user, "#c", [{ kind: "member", mode: "op", on: true, nick: "op2" }]);
  clearAll(op.session, op2.session, plain.session, guest.session);
  assert.ok(w.core.invite(op.user, "guest", "#c", op.session.id).ok);
  assert.equal(guest.session.ofType("invite").length, 1);
  assert.equal(op2.session.ofType("invite").length, 1);
  assert.equal(plain.session.ofType("invite").length, 0);
  assert.equal(op.session.ofType("invite").length, 0);
});

test("an invite to a channel that does not exist is refused (no-such-channel), reaches nobody and creates nothing", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const result = w.core.invite(alice.user, "bob", "#nowhere", alice.session.id);
  assert.deepEqual(result, { ok: false, reason: "no-such-channel" });
  assert.equal(bob.session.ofType("invite").length, 0);
  assert.equal(w.core.findChannel("#nowhere"), undefined);
});

test("+k refuses a missing or wrong key and admits the right one", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#locked");
  modesOk(w.core, op.user, "#locked", [{ kind: "key", on: true, key: "sesame" }]);
  assert.deepEqual(w.core.join(bob.user, "#locked", undefined), { ok: false, reason: "bad-key" });
  assert.deepEqual(w.core.join(bob.user, "#locked", "SESAME"), { ok: false, reason: "bad-key" });
  assert.deepEqual(w.core.join(bob.user, "#locked", "wrong"), { ok: false, reason: "bad-key" });
  joinOk(w.core, bob.user, "#locked", "sesame");
});

test("+l refuses joins once the channel holds `limit` members", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  const carol = w.connect("carol");
  joinOk(w.core, op.user, "#small");
  modesOk(w.core, op.user, "#small", [{ kind: "limit", on: true, limit: 2 }]);
  joinOk(w.core, bob.user, "#small");
  assert.deepEqual(w.core.join(carol.user, "#small", undefined), { ok: false, reason: "channel-full" });
  modesOk(w.core, op.user, "#small", [{ kind: "limit", on: false, limit: 0 }]);
  joinOk(w.core, carol.user, "#small");
});

test("+b refuses matching users case-insensitively; +e exempts them", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("Bob", "~bob", "bad.example");
  const carol = w.connect("carol", "~carol", "good.example");
  joinOk(w.core, op.user, "#c");
  modesOk(w.core, op.user, "#c", [{ kind: "list", mode: "ban", on: true, mask: "*!*@BAD.example" }]);
  assert.deepEqual(w.core.join(bob.user, "#c", undefined), { ok: false, reason: "banned" });
  joinOk(w.core, carol.user, "#c");
  modesOk(w.core, op.user, "#c", [{ kind: "list", mode: "exception", on: true, mask: "bob" }]);
  joinOk(w.core, bob.user, "#c");
});

test("an invite does not lift a ban", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  modesOk(w.core, op.user, "#c", [
    { kind: "flag", mode: "invite-only", on: true },
    { kind: "list", mode: "ban", on: true, mask: "bob" },
  ]);
  assert.ok(w.core.invite(op.user, "bob", "#c", op.session.id).ok);
  assert.deepEqual(w.core.join(bob.user, "#c", undefined), { ok: false, reason: "banned" });
});

test("an invitation belongs to the user invited, not its nick: it follows a nick change, and whoever takes the nick next is refused", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#priv");
  modesOk(w.core, op.user, "#priv", [{ kind: "flag", mode: "invite-only", on: true }]);
  assert.ok(w.core.invite(op.user, "bob", "#priv", op.session.id).ok);
  assert.deepEqual(w.core.changeNick(bob.user, "bobby"), { ok: true, changed: true });
  const eve = w.connect("bob");
  assert.deepEqual(w.core.join(eve.user, "#priv", undefined), { ok: false, reason: "invite-only" });
  joinOk(w.core, bob.user, "#priv");
});

test("an invite from a plain member of a channel that is not +i does not get the invitee past +k", () => {
  // Channel.invited holds the users invited while the channel is +i; only ops may invite under +i.
  // Without +i any member may invite, so such an invite must not bypass the key or the limit.
  const w = world();
  const op = w.connect("op");
  const member = w.connect("member");
  const guest = w.connect("guest");
  joinOk(w.core, op.user, "#c");
  modesOk(w.core, op.user, "#c", [{ kind: "key", on: true, key: "sesame" }]);
  joinOk(w.core, member.user, "#c", "sesame");
  assert.ok(w.core.invite(member.user, "guest", "#c", member.session.id).ok);
  const result = w.core.join(guest.user, "#c", undefined);
  assert.equal(result.ok ? "joined without the key" : result.reason, "bad-key");
});

// ── nick ────────────────────────────────────────────────────────────────────

test("a nick change reaches the user and every peer exactly once, even when sharing two channels", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const carol = w.connect("carol");
  const dave = w.connect("dave");
  joinOk(w.core, alice.user, "#a");
  joinOk(w.core, alice.user, "#b");
  joinOk(w.core, bob.user, "#a");
  joinOk(w.core, bob.user, "#b");
  joinOk(w.core, carol.user, "#a");
  clearAll(alice.session, bob.session, carol.session, dave.session);

  assert.deepEqual(w.core.changeNick(alice.user, "Alicia"), { ok: true, changed: true });
  for (const s of [alice.session, bob.session, carol.session]) {
    assert.equal(s.events.length, 1);
    const [event] = s.ofType("nick");
    assert.equal(event!.from.nick, "alice");
    assert.equal(event!.nick, "Alicia");
  }
  assert.equal(dave.session.events.length, 0);
  assert.equal(w.core.findUser("ALICIA"), alice.user);
  assert.equal(w.core.findUser("alice"), undefined);
  assert.ok(w.core.isNickAvailable("alice"));
});

test("changing to the same nick is a no-op; a case-only change is a real change", () => {
  const w = world();
  const alice = w.connect("alice");
  assert.deepEqual(w.core.changeNick(alice.user, "alice"), { ok: true, changed: false });
  assert.equal(alice.session.events.length, 0);
  assert.deepEqual(w.core.changeNick(alice.user, "ALICE"), { ok: true, changed: true });
  assert.equal(alice.user.nick, "ALICE");
  assert.equal(alice.session.ofType("nick").length, 1);
  assert.equal(w.core.findUser("alice"), alice.user);
});

test("changing to another user's nick (any case) or an invalid nick is refused", () => {
  const w = world();
  const alice = w.connect("alice");
  w.connect("bob");
  assert.deepEqual(w.core.changeNick(alice.user, "BOB"), { ok: false, reason: "nick-in-use" });
  assert.deepEqual(w.core.changeNick(alice.user, "-x"), { ok: false, reason: "erroneous-nick" });
  assert.deepEqual(w.core.changeNick(alice.user, "x".repeat(31)), { ok: false, reason: "erroneous-nick" });
  assert.equal(alice.user.nick, "alice");
  assert.equal(alice.session.events.length, 0);
});

// ── quit and whowas ─────────────────────────────────────────────────────────

test("a quit reaches every peer exactly once, not the quitter nor strangers", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const carol = w.connect("carol");
  const dave = w.connect("dave");
  joinOk(w.core, alice.user, "#a");
  joinOk(w.core, alice.user, "#b");
  joinOk(w.core, bob.user, "#a");
  joinOk(w.core, bob.user, "#b");
  joinOk(w.core, carol.user, "#b");
  clearAll(alice.session, bob.session, carol.session, dave.session);

  w.core.quit(alice.user, "bye now");
  for (const s of [bob.session, carol.session]) {
    assert.equal(s.events.length, 1);
    const [event] = s.ofType("quit");
    assert.equal(event!.from.nick, "alice");
    assert.equal(event!.reason, "bye now");
  }
  assert.equal(alice.session.events.length, 0);
  assert.equal(dave.session.events.length, 0);
  assert.equal(w.core.findUser("alice"), undefined);
  assert.ok(!w.core.findChannel("#a")!.members.has(alice.user));
  assert.ok(!w.core.findChannel("#b")!.members.has(alice.user));
});

test("quit is idempotent and removes channels left empty", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  joinOk(w.core, alice.user, "#solo");
  joinOk(w.core, alice.user, "#shared");
  joinOk(w.core, bob.user, "#shared");
  w.core.quit(alice.user, "x");
  w.core.quit(alice.user, "x");
  assert.equal(bob.session.ofType("quit").length, 1);
  assert.equal(w.core.findChannel("#solo"), undefined);
  assert.ok(w.core.findChannel("#shared"));
  assert.equal(w.core.stats().users, 1);
  assert.equal(w.core.stats().channels, 1);
});

test("whowas finds users after they quit, case-insensitively, newest first", () => {
  const w = world();
  const first = w.connect("Alice", "~first", "one.example");
  assert.deepEqual(w.core.whowas("alice", 10), []);
  w.core.quit(first.user, "bye");
  w.advance(1000);
  const second = w.connect("alice", "~second", "two.example");
  w.core.quit(second.user, "bye");
  const entries = w.core.whowas("ALICE", 10);
  assert.equal(entries.length, 2);
  assert.equal(entries[0]!.username, "~second");
  assert.equal(entries[1]!.username, "~first");
  assert.equal(entries[1]!.nick, "Alice");
  assert.equal(entries[1]!.hostname, "one.example");
  assert.equal(entries[1]!.realname, "Alice Real");
  assert.ok(entries[0]!.leftAt > entries[1]!.leftAt);
  assert.equal(w.core.whowas("alice", 1).length, 1);
  assert.deepEqual(w.core.whowas("bob", 10), []);
});

test("the nick of a user who quit is free again", () => {
  const w = world();
  const alice = w.connect("alice");
  w.core.quit(alice.user, "");
  w.connect("ALICE");
});

// ── messages ─────────────────────────────────────────────────────────────────

test("a channel message reaches every other member exactly once and is not echoed to the sender", async () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const carol = w.connect("carol");
  const dave = w.connect("dave");
  joinOk(w.core, alice.user, "#room");
  joinOk(w.core, bob.user, "#room");
  joinOk(w.core, carol.user, "#room");
  clearAll(alice.session, bob.session, carol.session, dave.session);

  const tags = { "+draft/react": "👍" };
  const result = await w.send(alice.user, "#ROOM", "privmsg", "hello", tags);
  assert.ok(result.ok);
  assert.equal(result.recipient, null);
  for (const s of [bob.session, carol.session]) {
    assert.equal(s.events.length, 1);
    const [event] = s.ofType("message");
    assert.equal(event, result.event);
    assert.equal(event!.text, "hello");
    assert.equal(event!.kind, "privmsg");
    assert.equal(event!.target, "#room");
    assert.equal(event!.from.nick, "alice");
    assert.equal(event!.tags, tags);
  }
  assert.equal(alice.session.events.length, 0);
  assert.equal(dave.session.events.length, 0);
});

test("every message gets its own msgid", async () => {
  const w = world();
  const alice = w.connect("alice");
  w.connect("bob");
  const ids = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const result = await w.send(alice.user, "bob", "privmsg", `m${i}`, null);
    assert.ok(result.ok);
    ids.add(result.event.msgid);
  }
  assert.equal(ids.size, 50);
});

test("a direct message reaches only its recipient, found case-insensitively", async () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("Bob");
  const carol = w.connect("carol");
  joinOk(w.core, alice.user, "#room");
  joinOk(w.core, bob.user, "#room");
  joinOk(w.core, carol.user, "#room");
  clearAll(alice.session, bob.session, carol.session);
  const result = await w.send(alice.user, "BOB", "notice", "psst", null);
  assert.ok(result.ok);
  assert.equal(result.recipient, bob.user);
  assert.equal(bob.session.events.length, 1);
  assert.equal(bob.session.ofType("message")[0]!.target, "Bob");
  assert.equal(bob.session.ofType("message")[0]!.kind, "notice");
  assert.equal(alice.session.events.length, 0);
  assert.equal(carol.session.events.length, 0);
});

test("messages to unknown targets fail", async () => {
  const w = world();
  const alice = w.connect("alice");
  assert.deepEqual(await w.send(alice.user, "nobody", "privmsg", "x", null), { ok: false, reason: "no-such-nick" });
  assert.deepEqual(await w.send(alice.user, "#nowhere", "privmsg", "x", null), { ok: false, reason: "no-such-channel" });
});

test("+n refuses outsiders; without +n they may send", async () => {
  const w = world();
  const op = w.connect("op");
  const outsider = w.connect("outsider");
  joinOk(w.core, op.user, "#c");
  op.session.clear();
  assert.deepEqual(await w.send(outsider.user, "#c", "privmsg", "hi", null), { ok: false, reason: "cannot-send" });
  assert.equal(op.session.events.length, 0);
  modesOk(w.core, op.user, "#c", [{ kind: "flag", mode: "no-external", on: false }]);
  op.session.clear();
  assert.ok((await w.send(outsider.user, "#c", "privmsg", "hi", null)).ok);
  assert.equal(op.session.ofType("message").length, 1);
});

test("without +n an outsider is still held to +m and to the bans, as a member without voice is", async () => {
  const w = world();
  const op = w.connect("op");
  const outsider = w.connect("outsider");
  joinOk(w.core, op.user, "#c");
  modesOk(w.core, op.user, "#c", [
    { kind: "flag", mode: "no-external", on: false },
    { kind: "flag", mode: "moderated", on: true },
  ]);
  op.session.clear();
  assert.deepEqual(await w.send(outsider.user, "#c", "privmsg", "from outside under +m", null), { ok: false, reason: "cannot-send" });
  modesOk(w.core, op.user, "#c", [
    { kind: "flag", mode: "moderated", on: false },
    { kind: "list", mode: "ban", on: true, mask: "outsider" },
  ]);
  assert.deepEqual(await w.send(outsider.user, "#c", "privmsg", "from outside, banned", null), { ok: false, reason: "cannot-send" });
  assert.equal(op.session.ofType("message").length, 0, "neither reached the channel");
  modesOk(w.core, op.user, "#c", [{ kind: "list", mode: "exception", on: true, mask: "outsider" }]);
  assert.ok((await w.send(outsider.user, "#c", "privmsg", "excepted", null)).ok);
});

test("+m lets only ops and voiced members speak", async () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  modesOk(w.core, op.user, "#c", [{ kind: "flag", mode: "moderated", on: true }]);
  assert.deepEqual(await w.send(bob.user, "#c", "privmsg", "x", null), { ok: false, reason: "cannot-send" });
  assert.ok((await w.send(op.user, "#c", "privmsg", "x", null)).ok);
  modesOk(w.core, op.user, "#c", [{ kind: "member", mode: "voice", on: true, nick: "bob" }]);
  assert.ok((await w.send(bob.user, "#c", "privmsg", "x", null)).ok);
});

test("a banned member cannot speak", async () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  modesOk(w.core, op.user, "#c", [{ kind: "list", mode: "ban", on: true, mask: "bob" }]);
  assert.deepEqual(await w.send(bob.user, "#c", "privmsg", "x", null), { ok: false, reason: "cannot-send" });
});

test("messages to a guest sent before the first account look-up answers wait for that one look-up, and each sender's arrive in order", async () => {
  // The directory (a database in the server) answers when told to, so every message below is in flight together.
  const asked: string[] = [];
  let answer: (registered: boolean) => void = () => {};
  const w = world(
    {},
    {
      exists: (name) => {
        asked.push(name);
        return new Promise((resolve) => (answer = resolve));
      },
    },
  );
  const messaging = w.messaging;
  const guest = w.connect("guest");
  const senders = [w.connect("ann"), w.connect("ben")];
  const sent: Array<SendResult | Promise<SendResult>> = [];
  for (let i = 0; i < 20; i++) for (const { user } of senders) sent.push(messaging.send(user, "guest", "privmsg", `${user.nick} ${i}`, null));
  // The look-up starts on a later tick (behind the sender's earlier ones, of which there are none).
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(asked, ["guest"], "one look-up for the whole burst");
  answer(false);
  const results = await Promise.all(sent.map(async (result) => result));
  assert.ok(results.every((r) => r.ok));
  const received = guest.session.ofType("message").map((e) => e.text);
  for (const { user } of senders) {
    assert.deepEqual(
      received.filter((text) => text.startsWith(`${user.nick} `)),
      Array.from({ length: 20 }, (_, i) => `${user.nick} ${i}`),
    );
  }
  // Remembered now: the next message neither asks nor waits.
  const next = messaging.send(senders[0]!.user, "guest", "privmsg", "later", null);
  assert.ok(!(next instanceof Promise) && next.ok);
  assert.deepEqual(asked, ["guest"]);
});

// ── part and kick ──────────────────────────────────────────────────────────────

test("part is delivered once to every member including the one leaving; the last part removes the channel", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  joinOk(w.core, alice.user, "#c");
  joinOk(w.core, bob.user, "#c");
  clearAll(alice.session, bob.session);
  assert.deepEqual(w.core.part(bob.user, "#C", "later"), { ok: true });
  for (const s of [alice.session, bob.session]) {
    assert.equal(s.events.length, 1);
    assert.equal(s.ofType("part")[0]!.reason, "later");
  }
  assert.equal(bob.user.channels.size, 0);
  assert.deepEqual(w.core.part(bob.user, "#c", ""), { ok: false, reason: "not-on-channel" });
  assert.ok(w.core.part(alice.user, "#c", "").ok);
  assert.equal(w.core.findChannel("#c"), undefined);
  assert.deepEqual(w.core.part(alice.user, "#c", ""), { ok: false, reason: "no-such-channel" });
});

test("kick needs op; the kick reaches every member including the target once, and removes the target", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  const carol = w.connect("carol");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  joinOk(w.core, carol.user, "#c");
  clearAll(op.session, bob.session, carol.session);
  assert.deepEqual(w.core.kick(bob.user, "#c", "carol", "no"), { ok: false, reason: "chanop-needed" });
  assert.ok(w.core.findChannel("#c")!.members.has(carol.user));
  assert.deepEqual(w.core.kick(op.user, "#c", "CAROL", "out"), { ok: true });
  for (const s of [op.session, bob.session, carol.session]) {
    assert.equal(s.events.length, 1);
    const [event] = s.ofType("kick");
    assert.equal(event!.target, "carol");
    assert.equal(event!.reason, "out");
    assert.equal(event!.from.nick, "op");
  }
  assert.ok(!w.core.findChannel("#c")!.members.has(carol.user));
  assert.equal(carol.user.channels.size, 0);
});

test("kick refusals: no channel, kicker not on it, target not on it", () => {
  const w = world();
  const op = w.connect("op");
  const outsider = w.connect("outsider");
  joinOk(w.core, op.user, "#c");
  assert.deepEqual(w.core.kick(op.user, "#none", "outsider", ""), { ok: false, reason: "no-such-channel" });
  assert.deepEqual(w.core.kick(outsider.user, "#c", "op", ""), { ok: false, reason: "not-on-channel" });
  assert.deepEqual(w.core.kick(op.user, "#c", "outsider", ""), { ok: false, reason: "user-not-on-channel" });
  assert.deepEqual(w.core.kick(op.user, "#c", "nobody", ""), { ok: false, reason: "user-not-on-channel" });
});

test("kick reasons are clipped to kickLength", () => {
  const w = world({ kickLength: 5 });
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  w.core.kick(op.user, "#c", "bob", "0123456789");
  assert.equal(bob.session.ofType("kick")[0]!.reason, "01234");
});

// ── topic ────────────────────────────────────────────────────────────────────

test("under +t (the default) only ops set the topic; without +t anyone on the channel may", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  const outsider = w.connect("outsider");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  const channel = w.core.findChannel("#c")!;
  const topic = () => channel.topic;
  assert.ok(channel.flags.has("topic-lock"));
  assert.deepEqual(w.core.setTopic(bob.user, "#c", "mine"), { ok: false, reason: "chanop-needed" });
  assert.equal(topic(), null);
  assert.deepEqual(w.core.setTopic(outsider.user, "#c", "x"), { ok: false, reason: "not-on-channel" });
  assert.deepEqual(w.core.setTopic(op.user, "#none", "x"), { ok: false, reason: "no-such-channel" });

  clearAll(op.session, bob.session);
  assert.deepEqual(w.core.setTopic(op.user, "#C", "Welcome"), { ok: true });
  assert.equal(topic()?.text, "Welcome");
  assert.equal(topic()?.setBy, "op!~op@host.example");
  for (const s of [op.session, bob.session]) {
    assert.equal(s.events.length, 1);
    assert.equal(s.ofType("topic")[0]!.topic, "Welcome");
  }
  assert.equal(outsider.session.events.length, 0);

  modesOk(w.core, op.user, "#c", [{ kind: "flag", mode: "topic-lock", on: false }]);
  assert.deepEqual(w.core.setTopic(bob.user, "#c", "bob's"), { ok: true });
  assert.equal(topic()?.text, "bob's");
});

test("an empty topic clears it; long topics are clipped to topicLength", () => {
  const w = world({ topicLength: 4 });
  const op = w.connect("op");
  joinOk(w.core, op.user, "#c");
  const channel = w.core.findChannel("#c")!;
  w.core.setTopic(op.user, "#c", "abcdefgh");
  assert.equal(channel.topic?.text, "abcd");
  // In bytes, as TOPICLEN is: two accented letters are four.
  w.core.setTopic(op.user, "#c", "ééé");
  assert.equal(channel.topic?.text, "éé");
  w.core.setTopic(op.user, "#c", "");
  assert.equal(channel.topic, null);
});

// ── modes ────────────────────────────────────────────────────────────────────

test("changeModes needs op (or server operator) and an existing channel", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  const secret: ModeRequest[] = [{ kind: "flag", mode: "secret", on: true }];
  assert.deepEqual(w.core.changeModes(bob.user, "#c", secret), { ok: false, reason: "chanop-needed" });
  assert.ok(!w.core.findChannel("#c")!.flags.has("secret"));
  assert.deepEqual(w.core.changeModes(op.user, "#none", secret), { ok: false, reason: "no-such-channel" });
  bob.user.isOperator = true;
  assert.equal(modesOk(w.core, bob.user, "#c", secret).applied.length, 1);
});

test("changeModes applies changes, tells every member once, and skips no-op changes", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  clearAll(op.session, bob.session);

  const first = modesOk(w.core, op.user, "#c", [
    { kind: "flag", mode: "moderated", on: true },
    { kind: "flag", mode: "topic-lock", on: true }, // already on by default
    { kind: "member", mode: "op", on: true, nick: "BOB" },
    { kind: "member", mode: "op", on: true, nick: "op" }, // already op
    { kind: "key", on: true, key: "k1" },
  ]);
  assert.deepEqual(first.applied, [
    { kind: "flag", mode: "moderated", on: true },
    { kind: "member", mode: "op", on: true, nick: "bob" },
    { kind: "key", on: true, key: "k1" },
  ]);
  assert.deepEqual(first.errors, []);
  const channel = w.core.findChannel("#c")!;
  assert.ok(channel.flags.has("moderated"));
  assert.ok(channel.isOp(bob.user));
  assert.equal(channel.key, "k1");
  for (const s of [op.session, bob.session]) {
    assert.equal(s.events.length, 1);
    assert.deepEqual(s.ofType("mode")[0]!.changes, first.applied);
  }

  clearAll(op.session, bob.session);
  const again = modesOk(w.core, op.user, "#c", [
    { kind: "flag", mode: "moderated", on: true },
    { kind: "member", mode: "op", on: true, nick: "bob" },
    { kind: "key", on: true, key: "k1" },
    { kind: "limit", on: false, limit: 0 },
    { kind: "list", mode: "ban", on: false, mask: "nobody" },
  ]);
  assert.deepEqual(again.applied, []);
  assert.equal(op.session.events.length, 0, "nothing changed, nothing sent");
  assert.equal(bob.session.events.length, 0);
});

test("changeModes reports per-change errors for unknown nicks and non-members and still applies the rest", () => {
  const w = world();
  const op = w.connect("op");
  w.connect("outsider");
  joinOk(w.core, op.user, "#c");
  const result = modesOk(w.core, op.user, "#c", [
    { kind: "member", mode: "voice", on: true, nick: "ghost" },
    { kind: "member", mode: "voice", on: true, nick: "OUTSIDER" },
    { kind: "flag", mode: "secret", on: true },
  ]);
  assert.deepEqual(result.errors, [
    { reason: "no-such-nick", nick: "ghost" },
    { reason: "user-not-on-channel", nick: "outsider" },
  ]);
  assert.deepEqual(result.applied, [{ kind: "flag", mode: "secret", on: true }]);
});

test("changeModes with no requests is accepted from anyone and sends nothing", () => {
  const w = world();
  const op = w.connect("op");
  const bob = w.connect("bob");
  joinOk(w.core, op.user, "#c");
  joinOk(w.core, bob.user, "#c");
  clearAll(op.session, bob.session);
  assert.deepEqual(w.core.changeModes(bob.user, "#c", []), { ok: true, applied: [], errors: [] });
  assert.equal(op.session.events.length, 0);
});

test("list modes respect maxListEntries", () => {
  const w = world({ maxListEntries: 2 });
  const op = w.connect("op");
  joinOk(w.core, op.user, "#c");
  const result = modesOk(w.core, op.user, "#c", [
    { kind: "list", mode: "ban", on: true, mask: "a" },
    { kind: "list", mode: "ban", on: true, mask: "b" },
    { kind: "list", mode: "ban", on: true, mask: "c" },
  ]);
  assert.equal(result.applied.length, 2);
  assert.deepEqual(result.errors, [{ reason: "list-full", mode: "ban", mask: "c!*@*" }]);
  assert.deepEqual(
    w.core.findChannel("#c")!.lists.ban.map((e) => e.mask),
    ["a!*@*", "b!*@*"],
  );
});

// ── lookups, away, realname, kill, stats ───────────────────────────────────────

test("channels are found case-insensitively and keep the case they were created with", () => {
  const w = world();
  const alice = w.connect("alice");
  joinOk(w.core, alice.user, "#MixedCase");
  assert.equal(w.core.findChannel("#mixedcase")!.name, "#MixedCase");
  assert.equal(w.core.findChannel("#MIXEDCASE"), w.core.findChannel("#MixedCase"));
  assert.equal(w.core.stats().channels, 1);
});

test("away reaches peers only; realname reaches the user and peers; each once", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  const dave = w.connect("dave");
  joinOk(w.core, alice.user, "#a");
  joinOk(w.core, alice.user, "#b");
  joinOk(w.core, bob.user, "#a");
  joinOk(w.core, bob.user, "#b");
  clearAll(alice.session, bob.session, dave.session);

  w.core.setAway(alice.user, "lunch", alice.session.id);
  assert.equal(alice.user.away, "lunch");
  assert.equal(bob.session.ofType("away").length, 1);
  assert.equal(bob.session.ofType("away")[0]!.message, "lunch");
  assert.equal(alice.session.events.length, 0);
  w.core.setAway(alice.user, "", alice.session.id);
  assert.equal(alice.user.away, null);
  assert.equal(bob.session.ofType("away")[1]!.message, null);

  clearAll(alice.session, bob.session);
  w.core.setRealname(alice.user, "Alice L.");
  assert.equal(alice.session.ofType("realname").length, 1);
  assert.equal(bob.session.ofType("realname").length, 1);
  assert.equal(dave.session.events.length, 0);
});

test("kill asks the target's session to close with the reason", () => {
  const w = world();
  const bob = w.connect("bob");
  w.core.kill(bob.user, "Killed (op (spam))");
  assert.deepEqual(bob.session.closed, ["Killed (op (spam))"]);
});

test("stats count users, invisible users, operators, channels and the peak", () => {
  const w = world();
  const alice = w.connect("alice");
  const bob = w.connect("bob");
  bob.user.invisible = true;
  alice.user.isOperator = true;
  joinOk(w.core, alice.user, "#x");
  w.core.quit(bob.user, "");
  assert.deepEqual(w.core.stats(), { users: 1, invisible: 0, operators: 1, channels: 1, maxUsers: 2 });
});

test("clip counts UTF-8 bytes and never splits a character", () => {
  assert.equal(clip("abc", 5), "abc");
  assert.equal(clip("abcdef", 3), "abc");
  assert.equal(clip("a😀b", 2), "a");
  assert.equal(clip("a😀b", 4), "a");
  assert.equal(clip("a😀b", 5), "a😀");
  assert.equal(clip("ééé", 5), "éé");
  assert.equal(clip("é", 1), "");
});
