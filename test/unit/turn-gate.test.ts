import { test } from "node:test";
import assert from "node:assert/strict";
import { TurnGate } from "../../src/turn-gate.js";

/** Counts turns of the event loop: an immediate queued from an immediate runs on the next turn. */
function turnCounter(): { readonly now: () => number; readonly stop: () => void } {
  let turn = 0;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    turn++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (stopped = true) };
}

// A gate that strands a waiter would hang the test: the timeout turns that into a failure.
const TIMEOUT = { timeout: 10_000 };

test("at most perTurn callers pass per turn of the event loop, in the order they came; the rest on later turns", TIMEOUT, async () => {
  const gate = new TurnGate(2);
  const turns = turnCounter();
  const passed: Array<{ caller: number; turn: number }> = [];
  const callers = Array.from({ length: 7 }, (_, caller) => {
    const wait = gate.pass();
    if (wait === undefined) {
      passed.push({ caller, turn: turns.now() });
      return Promise.resolve();
    }
    return wait.then(() => passed.push({ caller, turn: turns.now() }));
  });
  assert.deepEqual(
    passed.map((p) => p.caller),
    [0, 1],
    "the first two go on at once",
  );
  assert.equal(gate.waiting, 5);
  await Promise.all(callers);
  turns.stop();
  assert.deepEqual(
    passed.map((p) => p.caller),
    [0, 1, 2, 3, 4, 5, 6],
  );
  const perTurn = new Map<number, number>();
  for (const { turn } of passed) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
  assert.ok([...perTurn.values()].every((n) => n <= 2), `passes per turn: ${JSON.stringify([...perTurn])}`);
  assert.ok(perTurn.size >= 4, "seven callers, two per turn: at least four turns");
  assert.equal(gate.waiting, 0);
});

test("a caller never passes ahead of those already waiting, even when the turn has room", TIMEOUT, async () => {
  const gate = new TurnGate(1);
  const order: string[] = [];
  assert.equal(gate.pass(), undefined);
  let late: Promise<void> | undefined;
  const waiting = ["b", "c", "d"].map((name) =>
    gate.pass()!.then(() => {
      order.push(name);
      // A new turn's count starts as b is let through; c and d still wait.
      if (name === "b") late = gate.pass();
    }),
  );
  await Promise.all(waiting);
  assert.ok(late instanceof Promise, "the late caller queued behind c and d");
  await late.then(() => order.push("late"));
  assert.deepEqual(order, ["b", "c", "d", "late"]);
});

test("once the burst has passed, callers go on at once again", TIMEOUT, async () => {
  const gate = new TurnGate(1);
  assert.equal(gate.pass(), undefined);
  const second = gate.pass();
  assert.ok(second instanceof Promise);
  await second;
  // Two turns later the count has been reset and nothing waits.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(gate.pass(), undefined);
});

test("perTurn must be a positive integer", () => {
  assert.throws(() => new TurnGate(0), RangeError);
  assert.throws(() => new TurnGate(1.5), RangeError);
});
