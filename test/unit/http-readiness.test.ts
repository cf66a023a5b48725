/**
 * The readiness checker behind GET /readyz with probes the test controls: every
 * probe's outcome is reported, a slow one is cut at the timeout, a hung one is never
 * started twice, a stopping server runs no probes, and a change is logged once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { Readiness, type ReadinessProbe } from "../../src/http/readiness.js";

function capturedLog(): { log: pino.Logger; lines: Array<{ msg: string; check?: string; reason?: string }> } {
  const lines: Array<{ msg: string; check?: string; reason?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString("utf8")) as { msg: string });
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

const ok = (name: string): ReadinessProbe => ({ name, probe: async () => {} });
const failing = (name: string, reason: string): ReadinessProbe => ({
  name,
  probe: async () => {
    throw new Error(reason);
  },
});

test("all probes pass: ready, each check 'ok'", async () => {
  const readiness = new Readiness("n1", [ok("database"), ok("redis")], capturedLog().log);
  assert.deepEqual(await readiness.check(), { node: "n1", ready: true, stopping: false, checks: { database: "ok", redis: "ok" }, failures: [] });
});

test("each failed probe is reported with its reason, in probe order; a rejection that is not an Error still has a reason", async () => {
  const odd: ReadinessProbe = { name: "odd", probe: () => Promise.reject("plain string") };
  const throwsAtOnce: ReadinessProbe = {
    name: "sync",
    probe: () => {
      throw new Error("thrown before any promise");
    },
  };
  const readiness = new Readiness("n1", [failing("database", "connection refused"), ok("x"), odd, throwsAtOnce], capturedLog().log);
  const report = await readiness.check();
  assert.equal(report.ready, false);
  assert.deepEqual(report.checks, { database: "connection refused", x: "ok", odd: "plain string", sync: "thrown before any promise" });
  assert.deepEqual(
    report.failures.map((f) => f.name),
    ["database", "odd", "sync"],
  );
});

test("a hung probe fails at the timeout, and checks made meanwhile join it instead of starting another", async () => {
  let started = 0;
  const hung: ReadinessProbe = {
    name: "database",
    probe: () => {
      started++;
      return new Promise(() => {});
    },
  };
  const readiness = new Readiness("n1", [hung], capturedLog().log, 80);
  const before = Date.now();
  const reports = await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
  const elapsed = Date.now() - before;
  assert.equal(started, 1, "one probe for three checks");
  assert.ok(elapsed >= 70 && elapsed < 1000, `answered after ${elapsed} ms`);
  for (const report of reports) assert.deepEqual(report.checks, { database: "no answer within 80 ms" });
});

test("stopping: not ready, and no probe runs", async () => {
  let started = 0;
  const counted: ReadinessProbe = { name: "database", probe: async () => void started++ };
  const readiness = new Readiness("n1", [counted], capturedLog().log);
  assert.equal((await readiness.check()).ready, true);
  readiness.markStopping();
  const report = await readiness.check();
  assert.equal(report.ready, false);
  assert.equal(report.stopping, true);
  assert.equal(started, 1);
});

test("a check that begins to fail is logged once (warn, with its reason), and once when it passes again", async () => {
  let down = false;
  const flaky: ReadinessProbe = {
    name: "database",
    probe: async () => {
      if (down) throw new Error("gone");
    },
  };
  const { log, lines } = capturedLog();
  const readiness = new Readiness("n1", [flaky], log);
  await readiness.check();
  down = true;
  for (let i = 0; i < 3; i++) await readiness.check();
  down = false;
  await readiness.check();
  await readiness.check();
  assert.deepEqual(
    lines.map((l) => [l.msg, l.check, l.reason]),
    [
      ["readiness check fails: this node answers /readyz with 503", "database", "gone"],
      ["readiness check passes again", "database", undefined],
    ],
  );
});
