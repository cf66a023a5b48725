/**
 * The patterns LIST and NLST expand (`*` and `?`, as vsftpd and ProFTPD): what they match,
 * the shell's rule for a leading dot, names in NFD, and a pattern of many stars, which a
 * regular expression would take exponential time over.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { globMatcher, hasWildcard } from "../../src/ftp/glob.js";

describe("globMatcher", () => {
  const table: ReadonlyArray<readonly [string, string, boolean]> = [
    ["*.txt", "a.txt", true],
    ["*.txt", "a.txt.bak", false],
    ["*.txt", ".txt", false],
    ["*", ".hidden", false],
    ["?hidden", ".hidden", false],
    [".*", ".hidden", true],
    [".*", "visible", false],
    ["?.txt", "a.txt", true],
    ["?.txt", "ab.txt", false],
    ["a*b*c", "axxbyyc", true],
    ["a*b*c", "axxcyyb", false],
    ["**x**", "x", true],
    ["*", "", true],
    ["a.txt", "a.txt", true],
    ["a.txt", "A.txt", false],
    // `?` is one character, not one byte.
    ["caf?.txt", "café.txt", true],
    // A name on disk in NFD (copied from macOS) matches the pattern in NFC.
    ["café*", "cafe\u0301.txt", true],
    // Brackets and other characters are themselves.
    ["[ab].txt", "[ab].txt", true],
    ["[ab].txt", "a.txt", false],
    ["a+b(c)$", "a+b(c)$", true],
  ];
  for (const [pattern, name, expected] of table) {
    test(`${JSON.stringify(pattern)} ${expected ? "matches" : "does not match"} ${JSON.stringify(name)}`, () => assert.equal(globMatcher(pattern)(name), expected));
  }

  test("a pattern of many stars against a long name that almost matches ends with false", () => {
    const matches = globMatcher(`${"*a".repeat(120)}*b`);
    assert.equal(matches("a".repeat(255)), false);
    assert.equal(matches(`${"a".repeat(254)}b`), true);
  });
});

describe("hasWildcard", () => {
  test("`*` or `?` make a pattern; brackets alone do not", () => {
    assert.deepEqual(["*.txt", "a?", "[ab]", "plain", ""].map(hasWildcard), [true, true, false, false, false]);
  });
});
