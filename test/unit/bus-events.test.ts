/**
 * Events are plain data: whatever crosses a bus between nodes as JSON arrives equal,
 * and an IRC client is sent the same bytes for it, for every capability variant.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ChatEvent, RelayedEvent } from "../../src/core/chat/events.js";
import type { Publication } from "../../src/core/chat/bus.js";
import { eventLine } from "../../src/irc/event-lines.js";
import { VARIANT_COUNT } from "../../src/irc/capabilities.js";
import { InProcessBus } from "../../src/bus/in-process-bus.js";

/** Records with an ordinary prototype, like objects made in code or by JSON.parse. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

const text = fc.string({ maxLength: 40 });
/** Message texts: one line, several (draft/multiline, blank lines included), or longer than a 512-byte line. */
const messageText = fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 4 }).map((lines) => lines.join("\n")), fc.string({ minLength: 500, maxLength: 700 }));
const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/);
const channel = word.map((w) => `#${w}`);
const stamp = { msgid: fc.stringMatching(/^[A-Za-z0-9_-]{4,20}$/), time: fc.integer({ min: 0, max: 4_102_444_800_000 }) };
const origin = fc.record(
  { id: word, nick: word, username: word, hostname: word, account: fc.option(word, { nil: null }), bot: fc.boolean() },
  { requiredKeys: ["id", "nick", "username", "hostname", "account"], noNullPrototype: true },
);
const clientTags = fc.option(fc.dictionary(word.map((w) => `+${w}`), text, { maxKeys: 3, noNullPrototype: true }), { nil: null });

const modeChange = fc.oneof(
  rec({ kind: fc.constant("flag" as const), mode: fc.constantFrom("no-external", "topic-lock", "moderated", "invite-only", "secret" as const), on: fc.boolean() }),
  rec({ kind: fc.constant("key" as const), on: fc.boolean(), key: word }),
  rec({ kind: fc.constant("limit" as const), on: fc.boolean(), limit: fc.nat(1000) }),
  rec({ kind: fc.constant("member" as const), mode: fc.constantFrom("op", "voice" as const), on: fc.boolean(), nick: word }),
  rec({ kind: fc.constant("list" as const), mode: fc.constantFrom("ban", "exception", "invite-exception" as const), on: fc.boolean(), mask: word }),
);

/** One arbitrary for each event type the core publishes. */
const relayed: fc.Arbitrary<RelayedEvent> = fc.oneof(
  rec({ type: fc.constant("message" as const), kind: fc.constantFrom("privmsg", "notice", "tagmsg" as const), from: origin, target: fc.oneof(channel, word), text: messageText, tags: clientTags, ...stamp }),
  rec({ type: fc.constant("join" as const), from: origin, channel, realname: text, ...stamp }),
  rec({ type: fc.constant("part" as const), from: origin, channel, reason: text, ...stamp }),
  rec({ type: fc.constant("kick" as const), from: origin, channel, target: word, reason: text, ...stamp }),
  rec({ type: fc.constant("quit" as const), from: origin, reason: text, ...stamp }),
  rec({ type: fc.constant("nick" as const), from: origin, nick: word, ...stamp }),
  rec({ type: fc.constant("topic" as const), from: origin, channel, topic: text, ...stamp }),
  rec({ type: fc.constant("mode" as const), from: origin, channel, changes: fc.array(modeChange, { maxLength: 4 }), ...stamp }),
  rec({ type: fc.constant("invite" as const), from: origin, channel, target: word, ...stamp }),
  rec({ type: fc.constant("away" as const), from: origin, message: fc.option(text, { nil: null }), ...stamp }),
  rec({ type: fc.constant("realname" as const), from: origin, realname: text, ...stamp }),
  rec({ type: fc.constant("account" as const), from: origin, account: fc.option(word, { nil: null }), ...stamp }),
  rec({ type: fc.constant("wallops" as const), from: origin, text, ...stamp }),
  rec({ type: fc.constant("redact" as const), from: origin, target: fc.oneof(channel, word), redacted: stamp.msgid, reason: fc.option(text, { nil: null }), ...stamp }),
);

const other: fc.Arbitrary<ChatEvent> = fc.oneof(
  rec({ type: fc.constant("read-marker" as const), account: word, target: word, name: word, ...stamp }),
  rec({ type: fc.constant("presence" as const), nick: word, online: fc.boolean(), origin: fc.option(origin, { nil: null }), ...stamp }),
);

test("every relayed event survives a JSON round trip and formats to the same IRC lines, for every variant", () => {
  fc.assert(
    fc.property(relayed, (event) => {
      const copy = JSON.parse(JSON.stringify(event)) as RelayedEvent;
      assert.deepEqual(copy, event);
      for (let variant = 0; variant < VARIANT_COUNT; variant++) assert.equal(eventLine(copy, variant), eventLine(event, variant));
    }),
    { numRuns: 500 },
  );
});

test("read markers and presence events survive a JSON round trip", () => {
  fc.assert(
    fc.property(other, (event) => {
      assert.deepEqual(JSON.parse(JSON.stringify(event)), event);
    }),
  );
});

test("a publication (scope, event, origin session) survives a JSON round trip and the in-process bus hands it on unchanged", () => {
  const scope = fc.oneof(
    rec({ kind: fc.constant("channel" as const), channel }),
    rec({ kind: fc.constant("channels" as const), channels: fc.array(channel, { maxLength: 3 }), user: word }),
    rec({ kind: fc.constant("users" as const), users: fc.array(word, { maxLength: 3 }) }),
    rec({ kind: fc.constant("account" as const), account: word }),
    rec({ kind: fc.constant("everyone" as const) }),
  );
  fc.assert(
    fc.property(scope, fc.oneof(relayed, other), fc.option(word, { nil: null }), fc.boolean(), (s, event, fromSession, skipOrigin) => {
      const publication: Publication = { scope: s, event, fromSession, skipOrigin };
      const received: Publication[] = [];
      const bus = new InProcessBus();
      bus.attach({ deliverLocal: (p) => received.push(p), remoteNodes: () => "all" });
      bus.publish(JSON.parse(JSON.stringify(publication)) as Publication);
      assert.deepEqual(received, [publication]);
    }),
  );
});
