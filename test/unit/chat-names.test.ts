import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { foldCase, isValidChannelName, isValidNick, sanitizeUsername } from "../../src/core/chat/names.js";

// ── foldCase ──────────────────────────────────────────────────────────────

test("foldCase lower-cases A-Z only (CASEMAPPING=ascii)", () => {
  assert.equal(foldCase("Alice"), "alice");
  assert.equal(foldCase("ALICE"), "alice");
  assert.equal(foldCase("#General"), "#general");
  assert.equal(foldCase("already lower"), "already lower");
  // rfc1459 would fold these; ascii does not.
  assert.equal(foldCase("[]\\~^{}|"), "[]\\~^{}|");
  // Non-ASCII letters are left alone.
  assert.equal(foldCase("ÄÖÜÉ"), "ÄÖÜÉ");
  assert.equal(foldCase("İ"), "İ");
  // Runs of capitals between letters that stay as they are.
  assert.equal(foldCase("ÉCOLE MixedCASE İSTANBUL ÄBC"), "École mixedcase İstanbul Äbc");
  assert.equal(foldCase(""), "");
});

test("property: foldCase equals toLowerCase on ASCII and keeps length; folding is idempotent", () => {
  const ascii = fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 30 });
  fc.assert(
    fc.property(ascii, (s) => {
      assert.equal(foldCase(s), s.toLowerCase());
    }),
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 30 }), (s) => {
      const folded = foldCase(s);
      assert.equal(folded.length, s.length);
      assert.equal(foldCase(folded), folded);
      assert.doesNotMatch(folded, /[A-Z]/);
    }),
  );
});

// ── isValidNick ───────────────────────────────────────────────────────────

test("isValidNick accepts letters, digits (not first), '-' (not first) and the RFC specials", () => {
  for (const nick of ["alice", "Alice", "a1", "a-b", "_x", "[bot]", "\\o", "`tick", "^caret", "{x}", "a|b", "x".repeat(30)]) {
    assert.ok(isValidNick(nick, 30), nick);
  }
});

test("isValidNick refuses empty, digit or '-' first, spaces and protocol characters", () => {
  for (const nick of ["", "1abc", "-abc", "a b", "a!b", "a@b", "a,b", "a:b", ":a", "#chan", "a.b", "a*", "a?", "é", "a\u0000", "a\r", "a\n"]) {
    assert.ok(!isValidNick(nick, 30), JSON.stringify(nick));
  }
});

test("isValidNick enforces the maximum length", () => {
  assert.ok(isValidNick("abcde", 5));
  assert.ok(!isValidNick("abcdef", 5));
});

// ── isValidChannelName ───────────────────────────────────────────────────

test("isValidChannelName accepts '#' plus at least one character, including non-ASCII", () => {
  for (const name of ["#a", "#general", "#café", "#a-b_c.d", "#😀", "##double", `#${"x".repeat(63)}`]) {
    assert.ok(isValidChannelName(name, 64), name);
  }
});

test("isValidChannelName refuses other prefixes, bare '#', separators and control characters", () => {
  for (const name of ["", "#", "a", "&local", "+modeless", "!safe", "#a b", "#a,b", "#a\u0007", "#a:b", "#a\u0000", "#a\tb", "#a\r", "#a\n", " #a"]) {
    assert.ok(!isValidChannelName(name, 64), JSON.stringify(name));
  }
});

test("isValidChannelName refuses Unicode control and format characters (Cc, Cf): names that pass for others", () => {
  const names = ["#gen\u200Beral", "#\u202Elareneg", "#a\u2066b\u2069", "#\uFEFFa", "#a\u00ADb", "#a\u200Db", "#a\x01b", "#a\x02b", "#a\x03b", "#a\x0Fb", "#a\x1Fb", "#a\x7Fb", "#a\u0085b", "#a\u009Bb"];
  for (const name of names) assert.ok(!isValidChannelName(name, 64), JSON.stringify(name));
});

test("isValidChannelName enforces the maximum length in UTF-8 bytes", () => {
  assert.ok(isValidChannelName("#abcd", 5));
  assert.ok(!isValidChannelName("#abcde", 5));
  // 63 é are 126 bytes, 32 emoji 128: both far past 64 in bytes, though not in UTF-16 units.
  assert.ok(!isValidChannelName(`#${"é".repeat(63)}`, 64));
  assert.ok(!isValidChannelName(`#${"😀".repeat(32)}`, 64));
  assert.ok(!isValidChannelName(`#a${"é".repeat(32)}`, 64), "65 bytes");
  assert.ok(isValidChannelName(`#a${"é".repeat(31)}`, 64), "64 bytes");
  assert.ok(isValidChannelName(`#${"€".repeat(21)}`, 64), "64 bytes");
});

// ── sanitizeUsername ─────────────────────────────────────────────────────

test("sanitizeUsername prefixes '~' and keeps letters, digits and . _ -", () => {
  assert.equal(sanitizeUsername("alice", 16), "~alice");
  assert.equal(sanitizeUsername("a.b_c-d9", 16), "~a.b_c-d9");
  assert.equal(sanitizeUsername("al ice!@:#*é", 16), "~alice");
});

test("sanitizeUsername falls back to 'user' when nothing usable is left", () => {
  assert.equal(sanitizeUsername("", 16), "~user");
  assert.equal(sanitizeUsername("!!!", 16), "~user");
  assert.equal(sanitizeUsername("ééé", 16), "~user");
});

test("sanitizeUsername clips so the result including '~' fits maxLength", () => {
  assert.equal(sanitizeUsername("abcdefghij", 5), "~abcd");
  assert.equal(sanitizeUsername("abcdefghij", 16), "~abcdefghij");
});

test("property: the sanitized username fits the length limit and only holds safe characters", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.integer({ min: 6, max: 64 }), (raw, maxLength) => {
      const username = sanitizeUsername(raw, maxLength);
      assert.ok(username.length <= maxLength, `${username} is longer than ${maxLength}`);
      assert.match(username, /^~[A-Za-z0-9._-]+$/);
    }),
  );
});

test("the 'user' fallback also respects a small USERLEN", () => {
  // userLength may be configured as low as 1 (schema: min 1) and is advertised as USERLEN.
  for (const maxLength of [2, 3, 4]) {
    const username = sanitizeUsername("!!!", maxLength);
    assert.ok(username.length <= maxLength, `${JSON.stringify(username)} is longer than USERLEN=${maxLength}`);
    assert.ok(username.startsWith("~"));
  }
});
