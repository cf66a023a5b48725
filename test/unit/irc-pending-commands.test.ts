import { test } from "node:test";
import assert from "node:assert/strict";
import type { Logger } from "pino";
import { PendingCommands } from "../../src/irc/pending-commands.js";

/** A promise with its settle functions, to finish a command when the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function owner(): { address: string; context: { log: Logger }; logged: unknown[] } {
  const logged: unknown[] = [];
  const log = { error: (fields: unknown) => void logged.push(fields) } as unknown as Logger;
  return { address: "192.0.2.1", context: { log }, logged };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("idle until a command is tracked, and again once it settles, failed or not", async () => {
  const commands = new PendingCommands(owner());
  assert.equal(commands.idle, true);
  const one = deferred();
  const two = deferred();
  commands.track(one.promise);
  commands.track(two.promise.catch(() => {}));
  assert.equal(commands.idle, false);
  one.resolve();
  await turn();
  assert.equal(commands.idle, false);
  two.reject(new Error("boom"));
  await turn();
  assert.equal(commands.idle, true);
});

test("settled waits for every running command, and no longer than its bound", async () => {
  const commands = new PendingCommands(owner());
  await commands.settled(10_000); // nothing running: at once
  const work = deferred();
  commands.track(work.promise);
  let done = false;
  const waiting = commands.settled(10_000).then(() => (done = true));
  await turn();
  assert.equal(done, false);
  work.resolve();
  await waiting;
  assert.equal(done, true);

  const never = deferred();
  commands.track(never.promise);
  const started = Date.now();
  await commands.settled(50);
  assert.ok(Date.now() - started >= 40, "the bound ends the wait");
  assert.equal(commands.idle, false);
});

test("pipeline lets max - 1 jobs run in the background, then waits for one to end; failures are logged", async () => {
  const who = owner();
  const commands = new PendingCommands(who);
  const first = deferred();
  const second = deferred();
  assert.equal(commands.pipeline(first.promise, 2), undefined, "under the bound the caller goes on at once");
  let admitted = false;
  const waiting = commands.pipeline(second.promise, 2);
  assert.ok(waiting, "at the bound the caller gets a promise to wait on");
  const blocked = waiting.then(() => (admitted = true));
  await turn();
  assert.equal(admitted, false, "the second job in flight makes its caller wait");
  first.reject(new Error("storage failed"));
  await blocked;
  assert.equal(admitted, true);
  assert.equal(who.logged.length, 1);
  assert.equal(commands.idle, false);
  second.resolve();
  await turn();
  assert.equal(commands.idle, true);
});
