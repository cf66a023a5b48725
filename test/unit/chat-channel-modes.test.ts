import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { applyModeRequests, type ModeContext, type ModeRequest } from "../../src/core/chat/channel-modes.js";
import { Channel } from "../../src/core/chat/channel.js";
import { ChatUser } from "../../src/core/chat/user.js";

function user(id: number, nick: string): ChatUser {
  return new ChatUser(String(id), nick, `~${nick}`, nick, "host.example", "192.0.2.1", false, 0);
}

function setup(maxListEntries = 10) {
  const actor = user(1, "Op");
  const member = user(2, "Bob");
  const outsider = user(3, "Eve");
  const channel = new Channel("#c", 0);
  channel.members.set(actor, { op: true, voice: false });
  channel.members.set(member, { op: false, voice: false });
  const everyone = [actor, member, outsider];
  const context: ModeContext = {
    maxListEntries,
    now: 42_000,
    findUser: (nick) => everyone.find((u) => u.nick.toLowerCase() === nick.toLowerCase()),
  };
  const apply = (requests: ModeRequest[]) => applyModeRequests(channel, actor, requests, context);
  return { actor, member, outsider, channel, apply };
}

test("a new channel starts with +nt and nothing else", () => {
  const { channel } = setup();
  assert.deepEqual([...channel.flags].sort(), ["no-external", "topic-lock"]);
  assert.equal(channel.key, null);
  assert.equal(channel.limit, null);
});

test("flags are set and cleared; setting a set flag or clearing a clear one is skipped", () => {
  const { channel, apply } = setup();
  const result = apply([
    { kind: "flag", mode: "secret", on: true },
    { kind: "flag", mode: "secret", on: true },
    { kind: "flag", mode: "no-external", on: false },
    { kind: "flag", mode: "moderated", on: false },
  ]);
  assert.deepEqual(result.applied, [
    { kind: "flag", mode: "secret", on: true },
    { kind: "flag", mode: "no-external", on: false },
  ]);
  assert.ok(channel.flags.has("secret"));
  assert.ok(!channel.flags.has("no-external"));
});

test("+k sets or replaces the key; the same key again or an empty key is skipped", () => {
  const { channel, apply } = setup();
  assert.deepEqual(apply([{ kind: "key", on: true, key: "one" }]).applied, [{ kind: "key", on: true, key: "one" }]);
  assert.deepEqual(apply([{ kind: "key", on: true, key: "one" }]).applied, []);
  assert.deepEqual(apply([{ kind: "key", on: true, key: "" }]).applied, []);
  assert.equal(channel.key, "one");
  assert.deepEqual(apply([{ kind: "key", on: true, key: "two" }]).applied, [{ kind: "key", on: true, key: "two" }]);
  assert.equal(channel.key, "two");
});

test("-k removes the key and reports the old one; without a key it is skipped", () => {
  const { channel, apply } = setup();
  apply([{ kind: "key", on: true, key: "secret" }]);
  assert.deepEqual(apply([{ kind: "key", on: false, key: "" }]).applied, [{ kind: "key", on: false, key: "secret" }]);
  assert.equal(channel.key, null);
  assert.deepEqual(apply([{ kind: "key", on: false, key: "" }]).applied, []);
});

test("+l sets the limit, skipping the same value and non-positive ones; -l clears it once", () => {
  const { channel, apply } = setup();
  assert.deepEqual(apply([{ kind: "limit", on: true, limit: 5 }]).applied, [{ kind: "limit", on: true, limit: 5 }]);
  assert.deepEqual(apply([{ kind: "limit", on: true, limit: 5 }]).applied, []);
  assert.deepEqual(apply([{ kind: "limit", on: true, limit: 0 }]).applied, []);
  assert.deepEqual(apply([{ kind: "limit", on: true, limit: -1 }]).applied, []);
  assert.equal(channel.limit, 5);
  assert.deepEqual(apply([{ kind: "limit", on: false, limit: 0 }]).applied, [{ kind: "limit", on: false, limit: 0 }]);
  assert.equal(channel.limit, null);
  assert.deepEqual(apply([{ kind: "limit", on: false, limit: 0 }]).applied, []);
});

test("member modes change membership, report the nick as the user spells it, and skip no-ops", () => {
  const { channel, member, apply } = setup();
  const result = apply([
    { kind: "member", mode: "voice", on: true, nick: "BOB" },
    { kind: "member", mode: "voice", on: true, nick: "bob" },
    { kind: "member", mode: "op", on: false, nick: "bob" },
  ]);
  assert.deepEqual(result.applied, [{ kind: "member", mode: "voice", on: true, nick: "Bob" }]);
  assert.deepEqual(channel.members.get(member), { op: false, voice: true });
});

test("member modes on unknown nicks or non-members are errors, not changes", () => {
  const { apply } = setup();
  const result = apply([
    { kind: "member", mode: "op", on: true, nick: "nobody" },
    { kind: "member", mode: "op", on: true, nick: "eve" },
  ]);
  assert.deepEqual(result.applied, []);
  assert.deepEqual(result.errors, [
    { reason: "no-such-nick", nick: "nobody" },
    { reason: "user-not-on-channel", nick: "Eve" },
  ]);
});

test("list entries are normalized, recorded with who set them and when, and deduplicated case-insensitively", () => {
  const { channel, apply } = setup();
  const result = apply([
    { kind: "list", mode: "ban", on: true, mask: "troll" },
    { kind: "list", mode: "ban", on: true, mask: "TROLL!*@*" },
    { kind: "list", mode: "exception", on: true, mask: "~friend@host" },
  ]);
  assert.deepEqual(result.applied, [
    { kind: "list", mode: "ban", on: true, mask: "troll!*@*" },
    { kind: "list", mode: "exception", on: true, mask: "*!~friend@host" },
  ]);
  assert.deepEqual(channel.lists.ban, [{ mask: "troll!*@*", setBy: "Op", setAt: 42_000 }]);
  assert.equal(channel.lists.exception.length, 1);
});

test("removing a list entry matches case-insensitively and reports the stored mask; missing ones are skipped", () => {
  const { channel, apply } = setup();
  apply([{ kind: "list", mode: "ban", on: true, mask: "Troll" }]);
  assert.deepEqual(apply([{ kind: "list", mode: "ban", on: false, mask: "nobody" }]).applied, []);
  assert.deepEqual(apply([{ kind: "list", mode: "ban", on: false, mask: "TROLL" }]).applied, [{ kind: "list", mode: "ban", on: false, mask: "Troll!*@*" }]);
  assert.deepEqual(channel.lists.ban, []);
});

test("a full list refuses new entries with list-full; removing one makes room", () => {
  const { channel, apply } = setup(2);
  const result = apply([
    { kind: "list", mode: "ban", on: true, mask: "a" },
    { kind: "list", mode: "ban", on: true, mask: "b" },
    { kind: "list", mode: "ban", on: true, mask: "c" },
    { kind: "list", mode: "exception", on: true, mask: "c" },
  ]);
  assert.deepEqual(result.errors, [{ reason: "list-full", mode: "ban", mask: "c!*@*" }]);
  assert.equal(channel.lists.ban.length, 2);
  assert.equal(channel.lists.exception.length, 1, "each list has its own limit");
  apply([{ kind: "list", mode: "ban", on: false, mask: "a" }]);
  assert.deepEqual(apply([{ kind: "list", mode: "ban", on: true, mask: "c" }]).errors, []);
});

test("property: applying the same requests twice changes nothing the second time", () => {
  const request: fc.Arbitrary<ModeRequest> = fc.oneof(
    fc.record({ kind: fc.constant("flag" as const), mode: fc.constantFrom("no-external", "topic-lock", "moderated", "invite-only", "secret" as const), on: fc.boolean() }),
    fc.record({ kind: fc.constant("key" as const), on: fc.boolean(), key: fc.constantFrom("", "k1", "k2") }),
    fc.record({ kind: fc.constant("limit" as const), on: fc.boolean(), limit: fc.integer({ min: -1, max: 3 }) }),
    fc.record({ kind: fc.constant("member" as const), mode: fc.constantFrom("op", "voice" as const), on: fc.boolean(), nick: fc.constantFrom("bob", "op", "eve", "ghost") }),
    fc.record({ kind: fc.constant("list" as const), mode: fc.constantFrom("ban", "exception", "invite-exception" as const), on: fc.boolean(), mask: fc.constantFrom("a", "A", "b!*@*", "*@h") }),
  );
  fc.assert(
    fc.property(fc.array(request, { maxLength: 12 }), (requests) => {
      // Requests that contradict each other (+k k1 then +k k2) are not idempotent as a
      // sequence, so apply the de-duplicated final intent: the last request per target.
      const last = new Map<string, ModeRequest>();
      for (const r of requests) {
        const key = r.kind === "flag" ? `f${r.mode}` : r.kind === "key" ? "k" : r.kind === "limit" ? "l" : r.kind === "member" ? `m${r.mode}${r.nick}` : `L${r.mode}${r.mask.toLowerCase()}`;
        last.set(key, r);
      }
      const { apply } = setup(100);
      const intent = [...last.values()];
      apply(intent);
      assert.deepEqual(apply(intent).applied, []);
    }),
  );
});
