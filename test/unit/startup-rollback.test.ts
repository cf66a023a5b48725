import { test } from "node:test";
import assert from "node:assert/strict";
import { StartupRollback } from "../../src/startup-rollback.js";

test("a rollback closes the parts last first, reports one that fails by name and still closes the rest, once", async () => {
  const rollback = new StartupRollback();
  const closed: string[] = [];
  rollback.add("database", () => closed.push("database"));
  rollback.add("listener", async () => {
    await Promise.resolve();
    throw new Error("already closed");
  });
  rollback.add("timer", async () => {
    await Promise.resolve();
    closed.push("timer");
  });
  const failures: Array<[string, string]> = [];
  await rollback.undo((part, error) => failures.push([part, (error as Error).message]));
  assert.deepEqual(closed, ["timer", "database"]);
  assert.deepEqual(failures, [["listener", "already closed"]]);
  await rollback.undo(() => assert.fail("nothing is left to close"));
  assert.deepEqual(closed, ["timer", "database"]);
});
