import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { entryMatches, maskMatches, normalizeMask } from "../../src/core/chat/mask.js";

// ── normalizeMask ────────────────────────────────────────────────────────

test("normalizeMask completes a bare nick to nick!*@*", () => {
  assert.equal(normalizeMask("alice"), "alice!*@*");
  assert.equal(normalizeMask("*"), "*!*@*");
});

test("normalizeMask completes user@host to *!user@host", () => {
  assert.equal(normalizeMask("~alice@host.example"), "*!~alice@host.example");
  assert.equal(normalizeMask("*@1.2.3.4"), "*!*@1.2.3.4");
});

test("normalizeMask completes nick!user to nick!user@*", () => {
  assert.equal(normalizeMask("alice!~a"), "alice!~a@*");
});

test("normalizeMask fills every missing or empty part with * (as pretty_mask does): an empty part matched nobody", () => {
  assert.equal(normalizeMask("@127.0.0.1"), "*!*@127.0.0.1");
  assert.equal(normalizeMask("tB!"), "tB!*@*");
  assert.equal(normalizeMask("!user"), "*!user@*");
  assert.equal(normalizeMask("nick!@host"), "nick!*@host");
  assert.equal(normalizeMask("nick!user@"), "nick!user@*");
  assert.equal(normalizeMask("!@"), "*!*@*");
  assert.equal(normalizeMask("user@"), "*!user@*");
  assert.equal(maskMatches(normalizeMask("@127.0.0.1"), "tB!~tB@127.0.0.1"), true);
});

test("normalizeMask leaves a full mask alone and trims surrounding whitespace", () => {
  assert.equal(normalizeMask("a!b@c"), "a!b@c");
  assert.equal(normalizeMask("  a!b@c  "), "a!b@c");
  assert.equal(normalizeMask(" alice "), "alice!*@*");
});

test("property: a normalized mask always has a '!' before an '@' and is stable under normalizing again", () => {
  const part = fc.string({ unit: fc.constantFrom("a", "Z", "*", "?", ".", "~", "1"), maxLength: 6 });
  const mask = fc.tuple(fc.option(part), fc.option(part), fc.option(part)).map(([n, u, h]) => {
    let m = n ?? "";
    if (u !== null) m += `!${u}`;
    if (h !== null) m += `@${h}`;
    return m;
  });
  fc.assert(
    fc.property(mask, (m) => {
      const normalized = normalizeMask(m);
      const bang = normalized.indexOf("!");
      const at = normalized.indexOf("@");
      assert.ok(bang !== -1 && at !== -1 && bang < at, normalized);
      assert.equal(normalizeMask(normalized), normalized);
    }),
  );
});

// ── maskMatches ──────────────────────────────────────────────────────────

test("'*' matches any run of characters, including none", () => {
  assert.ok(maskMatches("*!*@*", "alice!~a@host.example"));
  assert.ok(maskMatches("*!*@*.example", "alice!~a@host.example"));
  assert.ok(maskMatches("ali*!*@*", "ali!x@y"));
  assert.ok(!maskMatches("*!*@*.example", "alice!~a@host.example.org"));
  assert.ok(!maskMatches("bob*!*@*", "alice!~a@h"));
});

test("'?' matches exactly one character", () => {
  assert.ok(maskMatches("?lice!*@*", "alice!u@h"));
  assert.ok(!maskMatches("?lice!*@*", "lice!u@h"));
  assert.ok(!maskMatches("?lice!*@*", "aalice!u@h"));
  assert.ok(maskMatches("a!u@1.2.3.?", "a!u@1.2.3.4"));
  assert.ok(!maskMatches("a!u@1.2.3.?", "a!u@1.2.3.45"));
});

test("'?' matches a single non-ASCII character (one code unit of BMP text)", () => {
  assert.ok(maskMatches("caf?!*@*", "café!u@h"));
});

test("matching is case-insensitive in both directions", () => {
  assert.ok(maskMatches("ALICE!*@*", "alice!u@h"));
  assert.ok(maskMatches("alice!*@*", "ALICE!U@H"));
  assert.ok(maskMatches("*!*@Host.Example", "x!y@HOST.example"));
});

test("the whole hostmask must match, not a substring", () => {
  assert.ok(!maskMatches("lic!*@*", "alice!u@h"));
  assert.ok(!maskMatches("a!u@h", "xa!u@h"));
  assert.ok(!maskMatches("a!u@h", "a!u@hx"));
});

test("regex metacharacters in a mask are literal", () => {
  assert.ok(!maskMatches("a.b!*@*", "axb!u@h"));
  assert.ok(maskMatches("a.b!*@*", "a.b!u@h"));
  assert.ok(!maskMatches("a+!*@*", "aa!u@h"));
  assert.ok(maskMatches("a+!*@*", "a+!u@h"));
  assert.ok(maskMatches("[x]!*@*", "[x]!u@h"));
  assert.ok(!maskMatches("[x]!*@*", "x!u@h"));
  assert.ok(!maskMatches("a|b!*@*", "a!u@h"));
  assert.ok(maskMatches("a|b!*@*", "a|b!u@h"));
  assert.ok(maskMatches("(a)!*@*", "(a)!u@h"));
  assert.ok(maskMatches("^a$!*@*", "^a$!u@h"));
  assert.ok(!maskMatches("^a$!*@*", "a!u@h"));
  assert.ok(maskMatches("a\\b!*@*", "a\\b!u@h"));
  assert.ok(maskMatches("{2}!*@*", "{2}!u@h"));
  assert.ok(!maskMatches("a{2}!*@*", "aa!u@h"));
});

test("an invalid-looking regex in a mask does not throw", () => {
  assert.doesNotThrow(() => maskMatches("((([!*@*", "x!y@z"));
  assert.ok(maskMatches("((([!*@*", "((([!y@z"));
});

test("the result for a mask does not depend on what it was matched against before (cache)", () => {
  assert.ok(maskMatches("Bob!*@*", "bob!u@h"));
  assert.ok(!maskMatches("Bob!*@*", "rob!u@h"));
  assert.ok(maskMatches("Bob!*@*", "BOB!u@h"));
});

test("property: a mask without wildcards matches exactly its own text (case-insensitively)", () => {
  const literal = fc.string({ unit: fc.constantFrom("a", "B", ".", "+", "(", ")", "[", "]", "{", "}", "|", "^", "$", "\\", "!", "@", "~", "1", "é"), minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(literal, literal, (mask, other) => {
      assert.ok(maskMatches(mask, mask));
      assert.ok(maskMatches(mask, mask.toUpperCase().replace(/[^A-Z]/g, (c, i: number) => mask[i]!)));
      assert.ok(!maskMatches(mask, `${mask}x`));
      assert.ok(!maskMatches(mask, `x${mask}`));
      if (other.toLowerCase() !== mask.toLowerCase()) assert.ok(!maskMatches(mask, other));
    }),
  );
});

test("property: replacing a run of the text with '*' or one character with '?' still matches", () => {
  const text = fc.string({ unit: fc.constantFrom("a", "b", ".", "!", "@", "+", "[", "\\"), minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(text, fc.nat(), fc.nat(), (hostmask, i, j) => {
      const start = i % (hostmask.length + 1);
      const end = start + (j % (hostmask.length - start + 1));
      assert.ok(maskMatches(`${hostmask.slice(0, start)}*${hostmask.slice(end)}`, hostmask));
      if (start < hostmask.length) assert.ok(maskMatches(`${hostmask.slice(0, start)}?${hostmask.slice(start + 1)}`, hostmask));
    }),
  );
});

// ── the account extban ───────────────────────────────────────────────────

test("an a:<account> entry is kept as written and matches by account, case-insensitively, never a guest", () => {
  assert.equal(normalizeMask("a:Alice"), "a:Alice");
  const alice = { hostmask: "nick!~u@1.2.3.4", account: "alice" };
  const guest = { hostmask: "alice!~alice@1.2.3.4", account: null };
  assert.equal(entryMatches("a:ALICE", alice), true);
  assert.equal(entryMatches("a:al*", alice), true);
  assert.equal(entryMatches("a:bob", alice), false);
  assert.equal(entryMatches("a:alice", guest), false);
  assert.equal(entryMatches("alice!*@*", guest), true);
  assert.equal(entryMatches("nick!*@*", alice), true);
});

// ── matching, against a reference ───────────────────────────────────

test("property: maskMatches agrees with a regular expression made of the mask, on masks of *, ? and letters", () => {
  const unit = fc.constantFrom("a", "b", "A", "*", "?", "!", "@", ".");
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 8 }), fc.string({ unit: fc.constantFrom("a", "b", "B", "!", "@", "."), maxLength: 10 }), (mask, subject) => {
      const regex = new RegExp(`^${mask.toLowerCase().replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
      assert.equal(maskMatches(mask, subject), regex.test(subject.toLowerCase()), `${mask} against ${subject}`);
    }),
  );
});
