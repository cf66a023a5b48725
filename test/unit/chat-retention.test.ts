import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { startRetention } from "../../src/core/chat/retention.js";
import type { HistoryStore } from "../../src/core/chat/history.js";
import { waitFor } from "../support/wait.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A history whose passes last until the test lets each one end; it counts the passes started. */
function slowHistory(): { store: HistoryStore; started: () => number; finishPass: () => void } {
  let started = 0;
  const waiting: Array<() => void> = [];
  const prune = (): Promise<number> => {
    started++;
    return new Promise((resolve) => waiting.push(() => resolve(1)));
  };
  // Only prune is used by retention; the rest of the store is not reached.
  const store = { prune } as unknown as HistoryStore;
  return { store, started: () => started, finishPass: () => waiting.shift()?.() };
}

test("a retention pass that outlasts the interval is not joined by a second one; the next starts after it ends", async () => {
  const history = slowHistory();
  const stop = startRetention(history.store, () => ({ maxAgeDays: 30, maxMessagesPerTarget: 0 }), pino({ enabled: false }), 10);
  try {
    await sleep(60);
    assert.equal(history.started(), 1, "six intervals passed during the first pass: still one pass");
    history.finishPass();
    // Bounded by a deadline, not a guess at how soon a busy machine runs the next interval.
    await waitFor(() => history.started() >= 2, { timeoutMs: 5000, what: "the second pass to start once the first ended" });
    assert.equal(history.started(), 2, "the next interval after the first pass ended starts the second, and only it");
  } finally {
    history.finishPass();
    await stop();
  }
});

test("stop ends the pass under way at its next statement and returns once it has", async () => {
  let signal: AbortSignal | undefined;
  let ended = false;
  const prune = (_olderThan: number | null, _keep: number | null, options?: { signal?: AbortSignal }): Promise<number> => {
    signal = options?.signal;
    // A statement under way when the stop comes: the pass ends after it.
    return new Promise((resolve) => signal?.addEventListener("abort", () => setTimeout(() => ((ended = true), resolve(1)), 20)));
  };
  const stop = startRetention({ prune } as unknown as HistoryStore, () => ({ maxAgeDays: 30, maxMessagesPerTarget: 0 }), pino({ enabled: false }));
  await waitFor(() => signal !== undefined, { timeoutMs: 5000, what: "the first pass to start" });
  await stop();
  assert.equal(ended, true, "stop waited for the pass to end");
  assert.equal(signal?.aborted, true);
});
