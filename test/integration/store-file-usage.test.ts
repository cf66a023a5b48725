/**
 * The file usage store on every dialect: a reservation is taken only when the recorded
 * usage, the other live reservations and it fit the quota — also when many reservers of
 * one account ask at the same moment (on PostgreSQL from separate pooled connections,
 * and from two stores on one database); a refusal leaves the reservation as it was or
 * frees it, as asked; expired reservations stop counting and are handed back once;
 * a measurement replaces the figures only if nothing changed since it started.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FileUsageRepository } from "../../src/store/file-usage-repository.js";
import type { Reservation } from "../../src/core/files/ports.js";
import { forEachDialect } from "../support/databases.js";

const NOW = 1_700_000_000_000;
const LATER = NOW + 15_000;

function reservation(id: string, bytes: number, files = 0, overrides: Partial<Reservation> = {}): Reservation {
  return { id, account: "alice", bytes, files, node: "node-a", expiresAt: LATER, temporary: null, ...overrides };
}

forEachDialect("file usage repository", (target) => {
  async function open(t: Parameters<typeof target.create>[0]) {
    const database = await target.create(t);
    const store = await database.open();
    return { database, store, usage: new FileUsageRepository(store.db, store.dialect) };
  }

  test("no record until initialised; initialising twice keeps the first", async (t) => {
    const { usage } = await open(t);
    assert.equal(await usage.read("alice", NOW), null);
    assert.equal(await usage.reserve(reservation("r1", 10), { quotaBytes: 100, quotaFiles: 0 }, NOW), "no-usage");
    await usage.initialise("alice", { bytes: 40, files: 2 });
    await usage.initialise("alice", { bytes: 99, files: 9 });
    assert.deepEqual(await usage.read("alice", NOW), { bytes: 40, files: 2, version: 0, reservations: 0, reservedBytes: 0, reservedFiles: 0 });
  });

  test("reservations count against the quota with the usage; a refusal keeps or frees, as asked; settling turns one into usage", async (t) => {
    const { usage } = await open(t);
    await usage.initialise("alice", { bytes: 400, files: 1 });
    const quota = { quotaBytes: 1000, quotaFiles: 3 };
    assert.equal(await usage.reserve(reservation("a", 300, 1), quota, NOW), "reserved");
    assert.equal(await usage.reserve(reservation("b", 301, 1), quota, NOW), "over-quota", "400 + 300 + 301 > 1000");
    assert.equal(await usage.reserve(reservation("b", 300, 1), quota, NOW), "reserved");
    assert.equal(await usage.reserve(reservation("c", 0, 1), quota, NOW), "over-quota", "1 + 2 reserved files: the file quota is full");
    // Growing "a" past the quota: "keep" leaves it at 300, "free" sets it to nothing.
    assert.equal(await usage.reserve(reservation("a", 301, 1), quota, NOW, "keep"), "over-quota");
    assert.deepEqual({ ...(await usage.read("alice", NOW)), version: 0 }, { bytes: 400, files: 1, version: 0, reservations: 2, reservedBytes: 600, reservedFiles: 2 });
    assert.equal(await usage.reserve(reservation("a", 301, 1), quota, NOW, "free"), "over-quota");
    const afterFree = await usage.read("alice", NOW);
    assert.equal(afterFree?.reservedBytes, 300);
    assert.equal(afterFree?.reservedFiles, 1);
    // Now "b" can grow into the room "a" gave back.
    assert.equal(await usage.reserve(reservation("b", 600, 1), quota, NOW), "reserved");
    await usage.settle("alice", { bytes: 600, files: 1 }, "b");
    await usage.release("alice", "a");
    const settled = await usage.read("alice", NOW);
    assert.deepEqual({ ...settled, version: 0 }, { bytes: 1000, files: 2, version: 0, reservations: 0, reservedBytes: 0, reservedFiles: 0 });
    // A limit of 0, or an amount of 0, is not checked: a marker for a delete always goes through.
    assert.equal(await usage.reserve(reservation("marker", 0, 0), quota, NOW), "reserved");
    assert.equal(await usage.reserve(reservation("free", 5000, 0), { quotaBytes: 0, quotaFiles: 0 }, NOW), "reserved");
  });

  test("many reservers of one account at once (two stores on one database): exactly what fits is reserved", async (t) => {
    const { database, usage } = await open(t);
    const other = new FileUsageRepository((await database.open()).db, target.dialect);
    await usage.initialise("alice", { bytes: 0, files: 0 });
    const quota = { quotaBytes: 1000, quotaFiles: 0 };
    const outcomes = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? usage : other).reserve(reservation(`r${i}`, 100), quota, NOW)));
    assert.equal(outcomes.filter((outcome) => outcome === "reserved").length, 10, outcomes.join(" "));
    assert.equal((await usage.read("alice", NOW))?.reservedBytes, 1000);
    // All ten grow by one byte at once. In whatever order they are served, the first one
    // served does not fit and, refused with "free", gives its 100 back in that same step;
    // then the nine others fit (9 × 101 = 909). Without that, every one would be refused.
    const reserved = outcomes.flatMap((outcome, i) => (outcome === "reserved" ? [`r${i}`] : []));
    const grown = await Promise.all(reserved.map((id, i) => (i % 2 === 0 ? usage : other).reserve(reservation(id, 101), quota, NOW, "free")));
    assert.equal(grown.filter((outcome) => outcome === "reserved").length, 9, grown.join(" "));
    assert.equal((await usage.read("alice", NOW))?.reservedBytes, 909);
  });

  test("expired reservations stop counting, are handed back once with their temporary file, and a renewed one stays", async (t) => {
    const { usage } = await open(t);
    await usage.initialise("alice", { bytes: 0, files: 0 });
    const quota = { quotaBytes: 1000, quotaFiles: 0 };
    assert.equal(await usage.reserve(reservation("dead", 900, 0, { node: "doomed", expiresAt: NOW + 10, temporary: "dir/.f.upload-0123456789ab" }), quota, NOW), "reserved");
    assert.equal(await usage.reserve(reservation("alive", 50, 0, { expiresAt: NOW + 10 }), quota, NOW), "reserved");
    assert.equal(await usage.reserve(reservation("new", 100), quota, NOW), "over-quota", "900 still held");
    await usage.renew(["alive"], NOW + 20_000);
    const after = NOW + 11;
    assert.equal(await usage.reserve(reservation("new", 100), quota, after), "reserved", "the dead node's 900 no longer count");
    assert.deepEqual(await usage.purgeExpired("alice", after), [{ id: "dead", node: "doomed", temporary: "dir/.f.upload-0123456789ab" }]);
    assert.deepEqual(await usage.purgeExpired("alice", after), []);
    assert.equal((await usage.read("alice", after))?.reservations, 2);
  });

  test("a measurement replaces the figures only at the version it started from and with no live reservation", async (t) => {
    const { usage } = await open(t);
    await usage.initialise("alice", { bytes: 10, files: 1 });
    const start = (await usage.read("alice", NOW))!.version;
    assert.equal(await usage.replaceMeasured("alice", { bytes: 50, files: 5 }, start, NOW), true);
    const next = (await usage.read("alice", NOW))!;
    assert.deepEqual([next.bytes, next.files], [50, 5]);
    // A change in between (any reservation bumps the version): the stale measurement is dropped.
    assert.equal(await usage.reserve(reservation("r", 0), { quotaBytes: 0, quotaFiles: 0 }, NOW), "reserved");
    await usage.release("alice", "r");
    assert.equal(await usage.replaceMeasured("alice", { bytes: 1, files: 1 }, next.version, NOW), false);
    // A live reservation: not replaced either, whatever the version.
    assert.equal(await usage.reserve(reservation("live", 0), { quotaBytes: 0, quotaFiles: 0 }, NOW), "reserved");
    const current = (await usage.read("alice", NOW))!;
    assert.equal(await usage.replaceMeasured("alice", { bytes: 1, files: 1 }, current.version, NOW), false);
    assert.deepEqual([current.bytes, current.files], [50, 5]);
  });
});
