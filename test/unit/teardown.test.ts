import { test } from "node:test";
import assert from "node:assert/strict";
import { Teardown } from "../../src/teardown.js";

test("a teardown closes by stage whatever the order parts were added in, reports one that fails by name and still closes the rest, once", async () => {
  const teardown = new Teardown();
  const closed: string[] = [];
  teardown.add("database", "database", () => closed.push("database"));
  teardown.add("history", "history", async () => {
    await Promise.resolve();
    throw new Error("disk gone");
  });
  teardown.add("doors", "IRC", async ({ reason, timeoutMs }) => {
    await Promise.resolve();
    closed.push(`IRC ${reason} ${timeoutMs}`);
  });
  teardown.add("cluster", "cluster", () => closed.push("cluster"));
  const failures: Array<[string, string]> = [];
  await teardown.run({ reason: "bye", timeoutMs: 5 }, (part, error) => failures.push([part, (error as Error).message]));
  assert.deepEqual(closed, ["IRC bye 5", "cluster", "database"]);
  assert.deepEqual(failures, [["history", "disk gone"]]);
  await teardown.run({ reason: "again", timeoutMs: 0 }, () => assert.fail("nothing is left to close"));
  assert.deepEqual(closed, ["IRC bye 5", "cluster", "database"]);
});

test("the doors close together: one that takes its time does not hold the others, and the next stage waits for all of them", { timeout: 5000 }, async () => {
  const teardown = new Teardown();
  const events: string[] = [];
  let letIrcGo = (): void => undefined;
  teardown.add("doors", "IRC", async () => {
    events.push("IRC closing");
    await new Promise<void>((resolve) => (letIrcGo = resolve));
    events.push("IRC closed");
  });
  teardown.add("doors", "FTP", () => {
    events.push("FTP closed");
    // FTP closed while IRC still lets its clients go.
    letIrcGo();
  });
  teardown.add("file transfers", "file transfers", () => events.push("transfers drained"));
  await teardown.run({ reason: "bye", timeoutMs: 0 }, (part) => assert.fail(`${part} failed`));
  assert.deepEqual(events, ["IRC closing", "FTP closed", "IRC closed", "transfers drained"]);
});
