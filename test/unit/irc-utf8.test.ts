import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { splitUtf8, truncateUtf8, utf8Length } from "../../src/irc/utf8.js";

const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const wellFormed = fc.string({ unit: "binary", maxLength: 300 });

test("utf8Length counts what the encoder writes, lone surrogates included", () => {
  fc.assert(fc.property(anyUnits, (text) => utf8Length(text) === Buffer.byteLength(text)));
  assert.equal(utf8Length("a\u00e9\u20ac\u{1f600}"), 1 + 2 + 3 + 4);
});

test("splitUtf8: pieces within the room, never inside a character, joined back exactly", () => {
  fc.assert(
    fc.property(wellFormed, fc.integer({ min: 4, max: 600 }), (text, room) => {
      const pieces = splitUtf8(text, room);
      assert.equal(pieces.join(""), text);
      for (const piece of pieces) assert.ok(Buffer.byteLength(piece) <= room, `${Buffer.byteLength(piece)} > ${room}`);
      if (Buffer.byteLength(text) <= room) assert.deepEqual(pieces, [text]);
    }),
  );
});

test("splitUtf8 cuts after a space in the second half of a piece, and never below one 4-byte character", () => {
  assert.deepEqual(splitUtf8("hello world again", 12), ["hello world ", "again"]);
  assert.deepEqual(splitUtf8("\u{1f600}\u{1f600}", 1), ["\u{1f600}", "\u{1f600}"]);
});

test("truncateUtf8: the longest start that fits, never inside a character", () => {
  fc.assert(
    fc.property(wellFormed, fc.integer({ min: 0, max: 600 }), (text, max) => {
      const cut = truncateUtf8(text, max);
      assert.ok(text.startsWith(cut));
      assert.ok(Buffer.byteLength(cut) <= max);
      // One more character would not fit (or there is none).
      const next = text.slice(cut.length, cut.length + (text.codePointAt(cut.length)! > 0xffff ? 2 : 1));
      assert.ok(cut === text || Buffer.byteLength(cut + next) > max);
    }),
  );
  assert.equal(truncateUtf8("a\u00e9", 2), "a");
  assert.equal(truncateUtf8("a\u00e9", 3), "a\u00e9");
});
