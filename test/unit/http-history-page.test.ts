import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBefore } from "../../src/http/history-page.js";
import { ProblemError } from "../../src/http/problems.js";
import { MessageIds } from "../../src/core/chat/message-ids.js";

test("before= takes a msgid", () => {
  const id = new MessageIds().next();
  assert.deepEqual(parseBefore(id), { kind: "msgid", msgid: id });
  assert.equal(parseBefore(undefined), null);
});

test("before= takes an ISO 8601 date or time with its zone", () => {
  assert.deepEqual(parseBefore("2024-05-01T12:00:00Z"), { kind: "time", time: Date.UTC(2024, 4, 1, 12) });
  assert.deepEqual(parseBefore("2024-05-01T12:00:00.250+02:00"), { kind: "time", time: Date.UTC(2024, 4, 1, 10, 0, 0, 250) });
  assert.deepEqual(parseBefore("2024-05-01"), { kind: "time", time: Date.UTC(2024, 4, 1) });
});

test("anything else is a 400 problem", () => {
  for (const bad of ["2024-13-45T99:99:99Z", "2024-05-01T12:00:00", "yesterday noon", "' OR 1=1 --", "a b", "x".repeat(65), ""]) {
    assert.throws(() => parseBefore(bad), (error: unknown) => error instanceof ProblemError && error.status === 400, bad);
  }
});
