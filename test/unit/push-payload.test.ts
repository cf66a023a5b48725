import { test } from "node:test";
import assert from "node:assert/strict";
import { pushPayload } from "../../src/irc/push-payload.js";
import type { MessageEvent } from "../../src/core/chat/events.js";
import { parseMessage } from "../../src/irc/message.js";
import { WEB_PUSH_MAX_PAYLOAD_BYTES } from "../../src/push/web-push-sender.js";

function event(text: string, account: string | null = "bob", kind: MessageEvent["kind"] = "privmsg"): MessageEvent {
  return { type: "message", kind, from: { id: "1", nick: "bob", username: "~bob", hostname: "203.0.113.5", account }, target: "alice", text, tags: null, msgid: "abc123", time: Date.UTC(2026, 0, 4, 14, 33, 26, 123) };
}

test("the payload is the message as one IRC line with msgid, time and account, without CRLF", () => {
  assert.equal(
    pushPayload(event("hello there"), WEB_PUSH_MAX_PAYLOAD_BYTES),
    "@msgid=abc123;time=2026-01-04T14:33:26.123Z;account=bob :bob!~bob@203.0.113.5 PRIVMSG alice :hello there",
  );
  assert.equal(pushPayload(event("psst", null, "notice"), WEB_PUSH_MAX_PAYLOAD_BYTES), "@msgid=abc123;time=2026-01-04T14:33:26.123Z :bob!~bob@203.0.113.5 NOTICE alice :psst");
});

test("text that does not fit is cut on a character boundary; time and account go first, msgid stays", () => {
  const text = "é".repeat(3000); // 6000 bytes
  const payload = pushPayload(event(text), WEB_PUSH_MAX_PAYLOAD_BYTES);
  assert.ok(Buffer.byteLength(payload) <= WEB_PUSH_MAX_PAYLOAD_BYTES);
  assert.ok(Buffer.byteLength(payload) > WEB_PUSH_MAX_PAYLOAD_BYTES - 2, "as much as fits");
  const line = parseMessage(payload)!;
  assert.deepEqual([...line.tags!.keys()], ["msgid"]);
  assert.equal(line.params[0], "alice");
  assert.match(line.params[1]!, /^é+$/, "no broken character");
});

test("when dropping time and account is enough, the text stays whole", () => {
  const bare = pushPayload(event(""), 10_000).replace(/;time=[^;]+;account=bob/, "");
  const room = 300 - Buffer.byteLength(bare);
  const text = "x".repeat(room);
  const payload = pushPayload(event(text), 300);
  assert.equal(parseMessage(payload)!.params[1], text);
  assert.deepEqual([...parseMessage(payload)!.tags!.keys()], ["msgid"]);
});

test("line breaks in the text never split the payload", () => {
  assert.doesNotMatch(pushPayload(event("one\r\ntwo\nthree"), WEB_PUSH_MAX_PAYLOAD_BYTES), /[\r\n]/);
});
