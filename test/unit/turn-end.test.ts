import { test } from "node:test";
import assert from "node:assert/strict";
import { flushNow, scheduleFlush, scheduleFlushFirst } from "../../src/turn-end.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a turn's writes to other nodes go out before its writes to clients, each target once", async () => {
  const order: string[] = [];
  const client = { flush: () => void order.push("client") };
  const otherClient = { flush: () => void order.push("other client") };
  const nodes = { flush: () => void order.push("nodes") };
  // A client's bytes are queued first, the state change they show is published after (as a JOIN burst does).
  scheduleFlush(client);
  scheduleFlush(otherClient);
  scheduleFlush(client);
  queueMicrotask(() => scheduleFlushFirst(nodes));
  assert.deepEqual(order, [], "nothing is written before the turn ends");
  await turn();
  assert.deepEqual(order, ["nodes", "client", "other client"]);
});

test("what is queued while the end of a turn is being flushed is written too", async () => {
  const order: string[] = [];
  const late = { flush: () => void order.push("late") };
  const early = {
    flush: () => {
      order.push("early");
      scheduleFlush(late);
    },
  };
  scheduleFlush(early);
  await turn();
  assert.deepEqual(order, ["early", "late"]);
  await turn();
  assert.deepEqual(order, ["early", "late"], "and only once");
});

test("flushNow writes what is held at once, nodes first; the end of the turn then writes only what came after", async () => {
  const order: string[] = [];
  const client = { flush: () => void order.push("client") };
  const later = { flush: () => void order.push("later") };
  scheduleFlush(client);
  scheduleFlushFirst({ flush: () => void order.push("nodes") });
  flushNow();
  assert.deepEqual(order, ["nodes", "client"]);
  scheduleFlush(later);
  await turn();
  assert.deepEqual(order, ["nodes", "client", "later"]);
});

test("a target that queues again during its own flush is flushed again, not dropped", async () => {
  let flushes = 0;
  const target = {
    flush: () => {
      flushes++;
      // The first write makes more to write (as a transport that answers at once might).
      if (flushes === 1) scheduleFlush(target);
    },
  };
  scheduleFlush(target);
  await turn();
  assert.equal(flushes, 2);
  await turn();
  assert.equal(flushes, 2, "and then nothing more");
});
