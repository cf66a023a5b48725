import { test } from "node:test";
import assert from "node:assert/strict";
import { TEARDOWN_ORDER, Teardown } from "../../src/teardown.js";

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

test("the order is the one the server depends on", () => {
  assert.deepEqual(TEARDOWN_ORDER, [
    // No one new comes in, and clients still on are told, before anything they use goes.
    "doors",
    // Uploads the doors cut off release their reservations while the database is open.
    "file transfers",
    "retention",
    // A node takes no more events from its peers before push stops and always-on users are saved.
    "cluster",
    "push",
    // Stored before the search index's last pass reads what was stored.
    "history",
    "search indexer",
    "file shares",
    "always-on users",
    "database",
  ]);
});

test("a part of a stage that fails does not keep the other parts of that stage from closing", async () => {
  const teardown = new Teardown();
  const closed: string[] = [];
  teardown.add("doors", "HTTP", () => Promise.reject(new Error("close failed")));
  teardown.add("doors", "IRC", async () => {
    await Promise.resolve();
    closed.push("IRC");
  });
  teardown.add("database", "database", () => closed.push("database"));
  const failures: string[] = [];
  await teardown.run({ reason: "bye", timeoutMs: 0 }, (part) => failures.push(part));
  assert.deepEqual(failures, ["HTTP"]);
  assert.deepEqual(closed, ["IRC", "database"]);
});
