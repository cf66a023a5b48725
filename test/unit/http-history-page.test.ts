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

test("times in forms this route does not take are refused, not read as a msgid nobody has (an empty page)", () => {
  for (const bad of ["20300101T120000Z", "20300101", "2030-W01-1", "2030W011", "2030-001", "2030-05", "2030-05-01T12", "2030", "1714564682"]) {
    assert.throws(() => parseBefore(bad), (error: unknown) => error instanceof ProblemError && error.reason === "invalid-reference", bad);
  }
});

test("a date that is not in the calendar is refused, not moved to the next month", () => {
  for (const bad of ["2024-02-30", "2023-02-29", "2024-04-31T00:00Z", "2024-06-31T12:00:00+02:00"]) {
    assert.throws(() => parseBefore(bad), (error: unknown) => error instanceof ProblemError && error.reason === "invalid-reference", bad);
  }
  assert.deepEqual(parseBefore("2024-02-29"), { kind: "time", time: Date.UTC(2024, 1, 29) });
  assert.deepEqual(parseBefore("0099-12-31"), { kind: "time", time: Date.parse("0099-12-31T00:00:00Z") });
});

test("the msgids the server makes (the first of 2000 processes) are still taken as msgids", () => {
  for (let i = 0; i < 2000; i++) {
    const id = new MessageIds().next();
    assert.deepEqual(parseBefore(id), { kind: "msgid", msgid: id });
  }
});
