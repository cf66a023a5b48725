/**
 * How one PRIVMSG/NOTICE text becomes the lines a client is sent: one line, a
 * draft/multiline batch, or the fallback lines; and the format-once cache giving
 * each variant the same bytes as formatting for it directly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { textMessageLines, CONCAT_TAG } from "../../src/irc/message-lines.js";
import { EventLineCache, eventLine } from "../../src/irc/event-lines.js";
import { VARIANT_BITS, VARIANT_COUNT } from "../../src/irc/capabilities.js";
import { parseMessage, type IrcMessage } from "../../src/irc/message.js";
import type { MessageEvent } from "../../src/core/chat/events.js";

const SOURCE = "alice!~alice@127.0.0.1";
const TAGS: Array<[string, string]> = [
  ["time", "2024-01-01T00:00:00.000Z"],
  ["msgid", "m-1_x"],
  ["+draft/reply", "abc"],
];

function parse(block: string): IrcMessage[] {
  assert.ok(block === "" || block.endsWith("\r\n"));
  return block
    .split("\r\n")
    .slice(0, -1)
    .map((line) => {
      assert.ok(Buffer.byteLength(line.startsWith("@") ? line.slice(line.indexOf(" ") + 1) : line) <= 510, line);
      return parseMessage(line)!;
    });
}

const tagsOf = (m: IrcMessage): Record<string, string> => Object.fromEntries(m.tags ?? []);

test("a text that fits one line is one line with every tag", () => {
  const out = textMessageLines(SOURCE, "PRIVMSG", "#c", "hello", TAGS, "m-1_x");
  assert.equal(out, "@time=2024-01-01T00:00:00.000Z;msgid=m-1_x;+draft/reply=abc :alice!~alice@127.0.0.1 PRIVMSG #c :hello\r\n");
});

test("several lines for a client with draft/multiline: one batch, tags on the opener, blank lines kept, a nested batch's tag on opener and closer", () => {
  const lines = parse(textMessageLines(SOURCE, "PRIVMSG", "#c", "one\n\nthree", [["batch", "outer"], ...TAGS], "m-1_x"));
  assert.deepEqual(
    lines.map((m) => [m.command, ...m.params]),
    [
      ["BATCH", "+mlm-1x", "draft/multiline", "#c"],
      ["PRIVMSG", "#c", "one"],
      ["PRIVMSG", "#c", ""],
      ["PRIVMSG", "#c", "three"],
      ["BATCH", "-mlm-1x"],
    ],
  );
  assert.deepEqual(tagsOf(lines[0]!), { batch: "outer", ...Object.fromEntries(TAGS) });
  for (const inner of lines.slice(1, -1)) assert.deepEqual(tagsOf(inner), { batch: "mlm-1x" });
  assert.deepEqual(tagsOf(lines[4]!), { batch: "outer" });
});

test("the same text for a client without it: one line per non-blank line, the msgid on the first only", () => {
  const lines = parse(textMessageLines(SOURCE, "NOTICE", "bob", "one\n\nthree\n", TAGS, null));
  assert.deepEqual(
    lines.map((m) => m.params[1]),
    ["one", "three"],
  );
  assert.equal(tagsOf(lines[0]!).msgid, "m-1_x");
  assert.deepEqual(tagsOf(lines[1]!), { time: "2024-01-01T00:00:00.000Z", "+draft/reply": "abc" });
});

/** The text a draft/multiline batch carries. */
function batchText(lines: readonly IrcMessage[]): string {
  let text = "";
  lines.slice(1, -1).forEach((m, i) => (text += i === 0 || m.tags?.has(CONCAT_TAG) ? m.params[1] : `\n${m.params[1]}`));
  return text;
}

test("any text: the batch gives it back exactly, the fallback gives its non-blank lines, every line within 512 bytes", () => {
  const piece = fc.string({ unit: fc.oneof(fc.constantFrom("a", " ", "é", "😀", "\n"), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 1200 });
  fc.assert(
    fc.property(piece, (raw) => {
      const text = raw.replace(/[\r\0]/g, "") || "x";
      const batch = parse(textMessageLines(SOURCE, "PRIVMSG", "#chan", text, TAGS, "id"));
      const several = text.includes("\n") || batch.length > 1;
      if (several) assert.equal(batchText(batch), text);
      else assert.equal(batch[0]!.params[1], text);
      const fallback = parse(textMessageLines(SOURCE, "PRIVMSG", "#chan", text, TAGS, null));
      const nonBlank = text.split("\n").filter((line) => line !== "");
      // Each line's pieces concatenated give the line back (split-text.ts cuts, never drops).
      assert.equal(fallback.map((m) => m.params[1]).join(""), nonBlank.join(""));
      assert.equal(fallback.filter((m) => m.tags?.has("msgid")).length, Math.min(1, fallback.length));
    }),
    { numRuns: 300 },
  );
});

test("the format-once cache gives each variant what formatting for it gives, multiline or not", () => {
  const event = (text: string): MessageEvent => ({
    type: "message",
    kind: "privmsg",
    from: { id: "1", nick: "alice", username: "~alice", hostname: "h", account: "alice" },
    target: "#c",
    text,
    tags: null,
    msgid: "abc",
    time: 0,
  });
  const cache = new EventLineCache();
  for (const text of ["short", "two\nlines", "x".repeat(700)]) {
    const e = event(text);
    for (let variant = VARIANT_COUNT - 1; variant >= 0; variant--) assert.equal(cache.bytesFor(e, variant).toString(), eventLine(e, variant), `${text.slice(0, 10)} ${variant}`);
  }
  const multiline = VARIANT_BITS["draft/multiline"];
  assert.equal(eventLine(event("short"), multiline | 3), eventLine(event("short"), 3));
  assert.notEqual(eventLine(event("two\nlines"), multiline | 3), eventLine(event("two\nlines"), 3));
});
