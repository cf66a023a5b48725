import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageIds } from "../../src/core/chat/message-ids.js";

test("one process's message ids are unique and sort in the order they were made (so stored rows append to the msgid index)", () => {
  const ids = new MessageIds();
  const made = Array.from({ length: 50_000 }, () => ids.next());
  assert.equal(new Set(made).size, made.length);
  const sorted = [...made].sort();
  assert.deepEqual(sorted, made, "byte order is creation order across 1, 2 and 3 base-36 digits and beyond");
});

test("two processes' ids differ by their random prefix", () => {
  const a = new MessageIds().next();
  const b = new MessageIds().next();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]+$/, "ids are base64url and base-36 characters only");
});
