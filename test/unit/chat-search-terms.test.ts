/**
 * The search query builder: what a person types becomes words, and each database
 * gets those words as quoted data, never as its query syntax.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MIN_PREFIX_CHARS, searchTerms, type SearchLimits, type SearchTerm } from "../../src/core/chat/search-terms.js";
import { fts5Match, tsqueryPrefix } from "../../src/store/search-match.js";
import { decodeCursor, encodeCursor } from "../../src/http/search-cursor.js";
import { ProblemError } from "../../src/http/problems.js";

const LIMITS: SearchLimits = { maxQueryChars: 200, maxWords: 16 };

function terms(query: string): readonly SearchTerm[] {
  const result = searchTerms(query, LIMITS);
  assert.ok(result.ok, `${JSON.stringify(query)} is accepted`);
  return result.terms;
}

test("words are split on white space; the last one typed is a prefix when it is a plain word long enough", () => {
  assert.deepEqual(terms("  Hello   wor "), [
    { text: "Hello", prefix: false },
    { text: "wor", prefix: true },
  ]);
  assert.deepEqual(terms("hello\tworld\u00a0again"), [
    { text: "hello", prefix: false },
    { text: "world", prefix: false },
    { text: "again", prefix: true },
  ]);
  assert.equal(MIN_PREFIX_CHARS, 3);
  assert.deepEqual(terms("go he"), [
    { text: "go", prefix: false },
    { text: "he", prefix: false },
  ]);
  // Not a plain word (punctuation inside): a phrase, no prefix, in both databases alike.
  assert.deepEqual(terms("foo-bar"), [{ text: "foo-bar", prefix: false }]);
  // The last word typed was punctuation: nothing is a prefix.
  assert.deepEqual(terms("hello %"), [{ text: "hello", prefix: false }]);
});

test("query syntax is text: operators, quotes and column filters stay words", () => {
  assert.deepEqual(terms('a OR b'), [
    { text: "a", prefix: false },
    { text: "OR", prefix: false },
    { text: "b", prefix: false },
  ]);
  assert.deepEqual(terms("NEAR(a b)"), [
    { text: "NEAR(a", prefix: false },
    { text: "b)", prefix: false },
  ]);
  assert.deepEqual(terms('text:alpha "quoted'), [
    { text: "text:alpha", prefix: false },
    { text: '"quoted', prefix: false },
  ]);
});

test("words without a letter or digit are left out; only punctuation gives no terms (finds nothing)", () => {
  assert.deepEqual(terms("* % _ ') -- ^ \" 🎉"), []);
  assert.deepEqual(terms("') OR 1=1 --"), [
    { text: "OR", prefix: false },
    { text: "1=1", prefix: false },
  ]);
  // Control characters (NUL included, which PostgreSQL refuses in text) separate words.
  assert.deepEqual(terms("abc\u0000def\u0007"), [
    { text: "abc", prefix: false },
    { text: "def", prefix: true },
  ]);
});

test("unicode: NFC, letters of any script, prefix counted in characters", () => {
  // "é" typed as e + combining accent becomes one character, so the word is plain.
  assert.deepEqual(terms("cafe\u0301"), [{ text: "café", prefix: true }]);
  assert.deepEqual(terms("日本語"), [{ text: "日本語", prefix: true }]);
  assert.deepEqual(terms("日本"), [{ text: "日本", prefix: false }]);
});

test("empty, too long and too many words are refused", () => {
  assert.deepEqual(searchTerms("", LIMITS), { ok: false, reason: "empty-query" });
  assert.deepEqual(searchTerms(" \t\n ", LIMITS), { ok: false, reason: "empty-query" });
  assert.ok(searchTerms("x".repeat(200), LIMITS).ok);
  assert.ok(searchTerms(`  ${"x".repeat(200)}  `, LIMITS).ok, "trimmed first");
  assert.deepEqual(searchTerms("x".repeat(201), LIMITS), { ok: false, reason: "query-too-long" });
  // Characters, not UTF-16 units: 200 emoji are 200 characters.
  assert.ok(searchTerms("🎉".repeat(200), LIMITS).ok);
  assert.ok(searchTerms(Array.from({ length: 16 }, (_, i) => `w${i}`).join(" "), LIMITS).ok);
  assert.deepEqual(searchTerms(Array.from({ length: 17 }, (_, i) => `w${i}`).join(" "), LIMITS), { ok: false, reason: "too-many-words" });
});

test("FTS5: every word a quoted phrase, quotes doubled, implicit AND, the prefix star outside the quotes or the prefix as its words ORed", () => {
  assert.equal(fts5Match(terms("hello wor")), '"hello" "wor"*');
  assert.equal(fts5Match(terms('say "hi" NEAR(a b) OR col:x *')), '"say" """hi""" "NEAR(a" "b)" "OR" "col:x"');
  assert.equal(fts5Match([{ text: 'a"b', prefix: true }]), '"a""b"*');
  assert.equal(fts5Match(terms("hello big wor"), ["wor", "word", 'wo"rld']), '"hello" "big" AND ("wor" OR "word" OR "wo""rld")');
  assert.equal(fts5Match(terms("wor"), ["wor", "word"]), '("wor" OR "word")');
  // Nothing can close the phrase early: every quote inside is doubled.
  for (const hostile of ['"', '""', '" OR "', '"*', 'x" NOT "y']) {
    const match = fts5Match([{ text: hostile, prefix: false }]);
    const inner = match.slice(1, -1);
    assert.ok(match.startsWith('"') && match.endsWith('"'), match);
    assert.doesNotMatch(inner.replaceAll('""', ""), /"/, `${hostile}: ${match}`);
  }
});

test("PostgreSQL: a prefix lexeme is quoted with its quotes and backslashes escaped", () => {
  assert.equal(tsqueryPrefix("wor"), "'wor':*");
  assert.equal(tsqueryPrefix("it's"), "'it''s':*");
  assert.equal(tsqueryPrefix("a\\b"), "'a\\\\b':*");
});

test("the search cursor round-trips and refuses anything else", () => {
  const position = { time: Date.UTC(2030, 0, 1), id: 12345 };
  const cursor = encodeCursor(position);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor(cursor), position);
  assert.equal(decodeCursor(undefined), null);
  const forged = [Buffer.from("1.2.3").toString("base64url"), Buffer.from("-1.2").toString("base64url"), Buffer.from("99999999999999999.1").toString("base64url"), "' OR 1=1", "", "a b", "x".repeat(65)];
  for (const bad of forged) assert.throws(() => decodeCursor(bad), (error: unknown) => error instanceof ProblemError && error.status === 400, bad);
});
