import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ConnectionLimits, type AdmitResult } from "../../src/net/connection-limits.js";

function admitted(result: AdmitResult): () => void {
  assert.ok(result.ok, `expected admission, got ${JSON.stringify(result)}`);
  return () => result.slot.release();
}

test("admits up to the per-address cap, then refuses that address only", () => {
  const limits = new ConnectionLimits(2, 100);
  admitted(limits.admit("192.0.2.1"));
  admitted(limits.admit("192.0.2.1"));
  assert.deepEqual(limits.admit("192.0.2.1"), { ok: false, reason: "too-many-from-address" });
  admitted(limits.admit("192.0.2.2"));
  assert.equal(limits.total, 3);
});

test("a refused admission does not count", () => {
  const limits = new ConnectionLimits(1, 100);
  admitted(limits.admit("192.0.2.1"));
  for (let i = 0; i < 5; i++) assert.equal(limits.admit("192.0.2.1").ok, false);
  assert.equal(limits.total, 1);
});

test("an IPv4-mapped address counts as its IPv4 address", () => {
  const limits = new ConnectionLimits(1, 100);
  admitted(limits.admit("::ffff:192.0.2.1"));
  assert.deepEqual(limits.admit("192.0.2.1"), { ok: false, reason: "too-many-from-address" });
});

test("IPv6 addresses of one /64 share the per-address cap; another /64 does not", () => {
  const limits = new ConnectionLimits(2, 100);
  admitted(limits.admit("2001:db8:1:2::1"));
  admitted(limits.admit("2001:db8:1:2:ffff::9"));
  assert.deepEqual(limits.admit("2001:db8:1:2::3"), { ok: false, reason: "too-many-from-address" });
  admitted(limits.admit("2001:db8:1:3::1"));
});

test("the total cap applies across addresses", () => {
  const limits = new ConnectionLimits(10, 3);
  admitted(limits.admit("192.0.2.1"));
  admitted(limits.admit("192.0.2.2"));
  admitted(limits.admit("2001:db8::1"));
  assert.deepEqual(limits.admit("192.0.2.4"), { ok: false, reason: "too-many-total" });
  assert.equal(limits.total, 3);
});

test("release frees the slot for the same address and the total", () => {
  const limits = new ConnectionLimits(1, 1);
  const release = admitted(limits.admit("192.0.2.1"));
  assert.equal(limits.admit("192.0.2.2").ok, false);
  release();
  assert.equal(limits.total, 0);
  admitted(limits.admit("192.0.2.1"));
});

test("release frees exactly once, however often it is called", () => {
  const limits = new ConnectionLimits(2, 100);
  const first = admitted(limits.admit("192.0.2.1"));
  admitted(limits.admit("192.0.2.1"));
  first();
  first();
  first();
  assert.equal(limits.total, 1);
  admitted(limits.admit("192.0.2.1"));
  // Only one slot was freed: the address is at its cap again.
  assert.deepEqual(limits.admit("192.0.2.1"), { ok: false, reason: "too-many-from-address" });
  assert.equal(limits.total, 2);
});

test("releases of different connections are independent", () => {
  const limits = new ConnectionLimits(3, 100);
  const a = admitted(limits.admit("192.0.2.1"));
  const b = admitted(limits.admit("192.0.2.1"));
  a();
  b();
  b();
  assert.equal(limits.total, 0);
  for (let i = 0; i < 3; i++) admitted(limits.admit("192.0.2.1"));
  assert.equal(limits.admit("192.0.2.1").ok, false);
});

test("update applies new limits to new connections without cutting live ones", () => {
  const limits = new ConnectionLimits(5, 100);
  const releases = [admitted(limits.admit("192.0.2.1")), admitted(limits.admit("192.0.2.1")), admitted(limits.admit("192.0.2.1"))];
  limits.update(1, 100);
  assert.equal(limits.total, 3);
  assert.deepEqual(limits.admit("192.0.2.1"), { ok: false, reason: "too-many-from-address" });
  for (const release of releases.slice(0, 2)) release();
  assert.equal(limits.admit("192.0.2.1").ok, false); // one still live, cap is 1
  releases[2]!();
  admitted(limits.admit("192.0.2.1"));
  limits.update(5, 1);
  assert.deepEqual(limits.admit("192.0.2.9"), { ok: false, reason: "too-many-total" });
});

test("property: admissions and releases agree with a simple model", () => {
  const address = fc.constantFrom("192.0.2.1", "192.0.2.2", "::ffff:192.0.2.1", "2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:2::1");
  const keyOf = (a: string): string => (a.startsWith("::ffff:") ? a.slice(7) : a.startsWith("2001:db8:0:1:") ? "net1" : a.startsWith("2001:db8:0:2:") ? "net2" : a);
  const op = fc.oneof(
    address.map((a) => ({ kind: "admit" as const, address: a })),
    fc.nat().map((n) => ({ kind: "release" as const, index: n })),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 40 }), (perAddress, maxTotal, ops) => {
      const limits = new ConnectionLimits(perAddress, maxTotal);
      const live: Array<{ key: string; release: () => void; released: boolean }> = [];
      const count = (key: string): number => live.filter((c) => !c.released && c.key === key).length;
      const total = (): number => live.filter((c) => !c.released).length;
      for (const step of ops) {
        if (step.kind === "admit") {
          const key = keyOf(step.address);
          const expected = total() >= maxTotal ? "too-many-total" : count(key) >= perAddress ? "too-many-from-address" : "ok";
          const result = limits.admit(step.address);
          assert.equal(result.ok ? "ok" : result.reason, expected);
          if (result.ok) live.push({ key, release: () => result.slot.release(), released: false });
        } else if (live.length > 0) {
          const connection = live[step.index % live.length]!;
          connection.release();
          connection.released = true;
        }
        assert.equal(limits.total, total());
      }
    }),
    { numRuns: 300 },
  );
});
