/**
 * The hand-written check for the commonest wire message (a chat message publication)
 * never lets through what the general schema refuses, and what it lets through is exactly
 * what the schema would have kept.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isMessagePublication } from "../../src/cluster/wire-fast-path.js";
import { wireMessage } from "../../src/cluster/wire-schema.js";

const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/);
const origin = fc.record(
  { id: word, nick: word, username: word, hostname: word, account: fc.option(word, { nil: null }), bot: fc.boolean() },
  { requiredKeys: ["id", "nick", "username", "hostname", "account"], noNullPrototype: true },
);
const scope = fc.oneof(
  fc.record({ kind: fc.constant("channel"), channel: word, rank: fc.constantFrom("op", "voice"), exceptUser: word }, { requiredKeys: ["kind", "channel"], noNullPrototype: true }),
  fc.record({ kind: fc.constant("users"), users: fc.array(word, { maxLength: 3 }) }, { noNullPrototype: true }),
);
const event = fc.record(
  {
    type: fc.constant("message"),
    kind: fc.constantFrom("privmsg", "notice", "tagmsg"),
    from: origin,
    target: word,
    text: fc.string({ maxLength: 20 }),
    tags: fc.option(fc.dictionary(word.map((w) => `+${w}`), fc.string({ maxLength: 5 }), { maxKeys: 2, noNullPrototype: true }), { nil: null }),
    msgid: word,
    time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  },
  { noNullPrototype: true },
);
const valid = fc.record({ o: word, k: fc.constant("p"), p: fc.record({ scope, event, fromSession: fc.option(word, { nil: null }), skipOrigin: fc.boolean() }, { noNullPrototype: true }) }, { noNullPrototype: true });

/** A valid message with one value somewhere inside replaced by anything (or a key added). */
const mutated = fc.tuple(valid, fc.nat(), fc.jsonValue(), fc.boolean()).map(([message, pick, replacement, addKey]) => {
  const copy = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  const holders: Array<Record<string, unknown>> = [];
  const walk = (value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    holders.push(value as Record<string, unknown>);
    for (const inner of Object.values(value)) walk(inner);
  };
  walk(copy);
  const holder = holders[pick % holders.length]!;
  const keys = Object.keys(holder);
  if (addKey || keys.length === 0) holder["extra"] = replacement;
  else holder[keys[pick % keys.length]!] = replacement;
  return copy;
});

test("what the fast check accepts, the wire schema accepts unchanged; what the schema refuses, the fast check refuses", () => {
  fc.assert(
    fc.property(fc.oneof(valid, mutated, fc.jsonValue()), (value) => {
      const item = JSON.parse(JSON.stringify(value)) as unknown;
      if (!isMessagePublication(item)) return;
      const parsed = wireMessage.safeParse(item);
      assert.ok(parsed.success, "the fast check let through what the schema refuses");
      assert.deepEqual(parsed.data, item);
    }),
    { numRuns: 3000 },
  );
});

test("valid chat message publications take the fast path", () => {
  fc.assert(fc.property(valid, (message) => isMessagePublication(JSON.parse(JSON.stringify(message)))));
});
