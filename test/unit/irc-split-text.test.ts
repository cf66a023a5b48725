import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_LINE_BYTES, messageLines, splitText, textRoom } from "../../src/irc/split-text.js";
import { parseMessage } from "../../src/irc/message.js";

const bytes = (text: string): number => Buffer.byteLength(text);

test("splitText leaves text that fits alone", () => {
  assert.deepEqual(splitText("hello", 5), ["hello"]);
  assert.deepEqual(splitText("", 5), [""]);
});

test("splitText cuts after a space in the second half of a piece, keeping the space", () => {
  assert.deepEqual(splitText("aaaa bbbb cccc", 10), ["aaaa bbbb ", "cccc"]);
  // A space too early in the piece would waste the line: cut at the byte limit instead.
  assert.deepEqual(splitText("a bbbbbbbbbbbb", 10), ["a bbbbbbbb", "bbbb"]);
});

test("splitText never cuts inside a character", () => {
  // é is 2 bytes, € is 3, 😀 is 4.
  assert.deepEqual(splitText("€€€", 5), ["€", "€", "€"]);
  assert.deepEqual(splitText("😀😀", 5), ["😀", "😀"]);
  assert.deepEqual(splitText("aéé", 4), ["aé", "é"]);
});

test("property: the pieces are whole characters within the room and concatenate to the text", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.integer({ min: 4, max: 120 }), (text, room) => {
      const pieces = splitText(text, room);
      assert.equal(pieces.join(""), text);
      for (const piece of pieces) {
        assert.ok(bytes(piece) <= room, "over the room");
        assert.ok(piece.length > 0 || text === "", "an empty piece");
        // No character split: each piece survives a UTF-8 round trip unchanged.
        assert.equal(Buffer.from(piece).toString(), piece);
      }
    }),
    { numRuns: 500 },
  );
});

test("messageLines: every line fits 512 bytes without its tags; only the first carries the msgid", () => {
  const source = `${"n".repeat(30)}!~${"u".repeat(15)}@2001:db8:1234:5678:9abc:def0:1234:5678`;
  const text = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");
  const tags: Array<[string, string]> = [["time", "2024-05-01T12:00:00.000Z"], ["msgid", "abc"], ["account", "alice"]];
  const lines = messageLines(source, "PRIVMSG", "#channel", text, tags).split(/(?<=\r\n)/);
  assert.ok(lines.length > 3);
  const parsed = lines.map((line) => {
    const withoutTags = line.startsWith("@") ? line.slice(line.indexOf(" ") + 1) : line;
    assert.ok(bytes(withoutTags) <= MAX_LINE_BYTES, `${bytes(withoutTags)} bytes`);
    const message = parseMessage(line.slice(0, -2));
    assert.ok(message, line);
    return message;
  });
  assert.equal(parsed.map((m) => m.params[1]).join(""), text);
  assert.deepEqual(parsed.map((m) => m.tags?.get("msgid") ?? null), ["abc", ...new Array<null>(lines.length - 1).fill(null)]);
  for (const m of parsed) {
    assert.equal(m.tags?.get("time"), "2024-05-01T12:00:00.000Z");
    assert.equal(m.tags?.get("account"), "alice");
    assert.equal(m.params[0], "#channel");
  }
  // The budget is the room left by this source, command and target.
  assert.equal(textRoom("a!b@c", "PRIVMSG", "#x"), MAX_LINE_BYTES - (5 + 7 + 2 + 7));
});

test("messageLines frames every piece of a long CTCP message as one of its own; a short one is left as sent", () => {
  const source = `${"n".repeat(30)}!~${"n".repeat(15)}@127.0.0.1`;
  const inner = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");
  const lines = messageLines(source, "PRIVMSG", "#a", `\x01ACTION ${inner}\x01`, null).split(/(?<=\r\n)/);
  assert.ok(lines.length > 1);
  const texts = lines.map((line) => {
    assert.ok(bytes(line) <= MAX_LINE_BYTES, `${bytes(line)} bytes`);
    return parseMessage(line.slice(0, -2))!.params[1]!;
  });
  for (const text of texts) assert.match(text, /^\x01ACTION [^\x01]+\x01$/);
  assert.equal(texts.map((text) => text.slice(8, -1)).join(""), inner);
  // Without the closing \x01 (CTCP lets it go), each piece still gets one.
  const unclosed = messageLines(source, "PRIVMSG", "#a", `\x01ACTION ${inner}`, null).split(/(?<=\r\n)/);
  for (const line of unclosed) assert.match(parseMessage(line.slice(0, -2))!.params[1]!, /^\x01ACTION [^\x01]+\x01$/);
  assert.equal(messageLines(source, "PRIVMSG", "#a", "\x01ACTION waves\x01", null), `:${source} PRIVMSG #a :\x01ACTION waves\x01\r\n`);
  assert.equal(messageLines(source, "PRIVMSG", "#a", "\x01ACTION waves", null), `:${source} PRIVMSG #a :\x01ACTION waves\r\n`);
});
