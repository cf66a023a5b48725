import { test } from "node:test";
import assert from "node:assert/strict";
import { mentions, mentionsFolded } from "../../src/core/push/mentions.js";

test("a nick mentioned as a word, in any case, is a mention", () => {
  for (const text of ["alice: hi", "hi alice", "hi @alice!", "ALICE?", "(alice)", "ping alice, bob", "<alice> said", "Alice"]) {
    assert.equal(mentions(text, "alice"), true, text);
  }
});

test("the nick inside a longer word, or glued with - _ |, is not", () => {
  for (const text of ["malice", "alices", "alice_bot", "alice|away", "bob-alice", "alice2", "", "al ice"]) {
    assert.equal(mentions(text, "alice"), false, text);
  }
});

test("a later whole-word occurrence counts after a partial one", () => {
  assert.equal(mentions("malice aforethought, right alice?", "alice"), true);
});

test("nicks with IRC punctuation match as a whole", () => {
  assert.equal(mentions("hey [bob]!", "[bob]"), true);
  assert.equal(mentions("hey x[bob]", "[bob]"), false);
  assert.equal(mentions("anything", ""), false);
});

test("names and texts in capitals: folded on either side, a mention is found the same", () => {
  assert.equal(mentions("ping ALICE", "Alice"), true);
  assert.equal(mentions("ping malICE", "Alice"), false);
  // What the push notifier uses: the text folded once per message, each member's folded names.
  assert.equal(mentionsFolded("ping alice", "alice"), true);
  assert.equal(mentionsFolded("ping malice", "alice"), false);
  assert.equal(mentionsFolded("anything", ""), false);
});
