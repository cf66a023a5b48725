import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Fakelag } from "../../src/irc/fakelag.js";
import type { FloodConfig } from "../../src/config/schema.js";

function flood(overrides: Partial<FloodConfig> = {}): FloodConfig {
  return { enabled: true, burst: 3, linesPerSecond: 2, cooldownSeconds: 2, maxQueuedLines: 40, registrationLines: 50, ...overrides };
}

/** A manual clock, starting well after 0 so "never touched" is not special. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

/**
 * Sends `count` lines the way the connection does: each line is touched, then held
 * for the returned time before the next one is read. Returns the waits.
 */
function sendSequentially(lag: Fakelag, c: ReturnType<typeof clock>, count: number): number[] {
  const waits: number[] = [];
  for (let i = 0; i < count; i++) {
    const wait = lag.touch();
    waits.push(wait);
    c.advance(wait);
  }
  return waits;
}

test("a burst of `burst` lines passes without delay", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 5 }), c.now);
  assert.deepEqual(sendSequentially(lag, c, 5), [0, 0, 0, 0, 0]);
});

test("after the burst every line waits 1/linesPerSecond", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 3, linesPerSecond: 2 }), c.now);
  assert.deepEqual(sendSequentially(lag, c, 8), [0, 0, 0, 500, 500, 500, 500, 500]);
});

test("the delay follows linesPerSecond (4/s → 250 ms, 0.5/s → 2000 ms)", () => {
  const c1 = clock();
  const fast = new Fakelag(flood({ burst: 1, linesPerSecond: 4, cooldownSeconds: 10 }), c1.now);
  assert.deepEqual(sendSequentially(fast, c1, 4), [0, 250, 250, 250]);
  const c2 = clock();
  const slow = new Fakelag(flood({ burst: 1, linesPerSecond: 0.5, cooldownSeconds: 10 }), c2.now);
  assert.deepEqual(sendSequentially(slow, c2, 3), [0, 2000, 2000]);
});

test("lines touched at the same instant while throttled queue up one interval apart", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 1, linesPerSecond: 2, cooldownSeconds: 10 }), c.now);
  assert.equal(lag.touch(), 0);
  assert.equal(lag.touch(), 500);
  assert.equal(lag.touch(), 1000);
  assert.equal(lag.touch(), 1500);
});

test("a throttled client that keeps to the allowed rate is not delayed further", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 2, linesPerSecond: 2 }), c.now);
  sendSequentially(lag, c, 3); // now throttled
  c.advance(500);
  assert.equal(lag.touch(), 0);
  c.advance(300);
  assert.equal(lag.touch(), 200);
});

test("a cooldown of calm while throttled returns the client to burst mode", () => {
  const c = clock();
  const config = flood({ burst: 3, linesPerSecond: 2, cooldownSeconds: 2 });
  const lag = new Fakelag(config, c.now);
  assert.deepEqual(sendSequentially(lag, c, 5), [0, 0, 0, 500, 500]);
  c.advance(2001);
  // A fresh burst of exactly `burst` lines, then throttling again.
  assert.deepEqual(sendSequentially(lag, c, 5), [0, 0, 0, 500, 500]);
});

test("a pause shorter than the cooldown does not restore the burst", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 2, linesPerSecond: 1, cooldownSeconds: 5 }), c.now);
  assert.deepEqual(sendSequentially(lag, c, 3), [0, 0, 1000]);
  c.advance(3000);
  // Still throttled: the line is allowed at once (the interval has passed), the next waits again.
  assert.deepEqual(sendSequentially(lag, c, 2), [0, 1000]);
});

test("in burst mode, calm longer than the cooldown resets the burst count", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 3, linesPerSecond: 2, cooldownSeconds: 2 }), c.now);
  assert.deepEqual(sendSequentially(lag, c, 2), [0, 0]);
  c.advance(2500);
  assert.deepEqual(sendSequentially(lag, c, 4), [0, 0, 0, 500]);
});

test("in burst mode, lines spread out less than the cooldown still count towards the burst", () => {
  const c = clock();
  const lag = new Fakelag(flood({ burst: 3, linesPerSecond: 2, cooldownSeconds: 2 }), c.now);
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    waits.push(lag.touch());
    c.advance(1000);
  }
  // The 4th line comes 1000 ms after the 3rd, more than the 500 ms interval: no wait, but throttled.
  assert.deepEqual(waits, [0, 0, 0, 0]);
  assert.equal(lag.touch(), 0); // 1000 ms since the last one: within the rate
  assert.equal(lag.touch(), 500); // immediately after: must wait an interval
});

test("disabled flood control never delays", () => {
  const c = clock();
  const lag = new Fakelag(flood({ enabled: false, burst: 1, linesPerSecond: 0.1 }), c.now);
  for (let i = 0; i < 100; i++) assert.equal(lag.touch(), 0);
});

test("property: with sequential reads, exactly `burst` lines are free and each later one waits 1000/linesPerSecond", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 30 }), (burst, linesPerSecond, extra) => {
      const c = clock();
      const lag = new Fakelag(flood({ burst, linesPerSecond, cooldownSeconds: 60 }), c.now);
      const waits = sendSequentially(lag, c, burst + extra);
      assert.deepEqual(waits.slice(0, burst), new Array<number>(burst).fill(0));
      for (const wait of waits.slice(burst)) assert.ok(Math.abs(wait - 1000 / linesPerSecond) < 1e-9, `wait ${wait}`);
    }),
  );
});

test("property: waits are never negative", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 40 }), (gaps) => {
      const c = clock();
      const lag = new Fakelag(flood({ burst: 2, linesPerSecond: 3, cooldownSeconds: 1 }), c.now);
      for (const gap of gaps) {
        c.advance(gap);
        assert.ok(lag.touch() >= 0);
      }
    }),
  );
});
