/**
 * The brute-force guard over the real login_failures table, on every dialect,
 * with an injected clock: back-off, lockouts, IPv6 /64 grouping, reset on success
 * and forgetting — without a single sleep.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { pino } from "pino";
import { LoginGuard, type BruteForceSettings } from "../../src/core/accounts/login-guard.js";
import { LoginFailuresRepository } from "../../src/store/login-failures-repository.js";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { AccountService } from "../../src/core/accounts/account-service.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";

const SETTINGS: BruteForceSettings = {
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 8,
  accountLockoutAfter: 6,
  addressLockoutAfter: 10,
  lockoutSeconds: 60,
  forgetAfterSeconds: 300,
};

interface Harness {
  readonly store: Store;
  readonly failures: LoginFailuresRepository;
  readonly guard: LoginGuard;
  /** Another guard on the same table: a second service or node. */
  readonly otherGuard: LoginGuard;
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

async function harness(t: TestContext, target: DialectTarget, settings: Partial<BruteForceSettings> = {}): Promise<Harness> {
  const database = await target.create(t);
  const store = await database.open();
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  const failures = new LoginFailuresRepository(store.db);
  return {
    store,
    failures,
    guard: new LoginGuard(failures, { ...SETTINGS, ...settings }, clock),
    otherGuard: new LoginGuard(new LoginFailuresRepository(store.db), { ...SETTINGS, ...settings }, clock),
    now: clock,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** Addresses nobody else in the test uses, so only the account counter speaks. */
let fresh = 0;
const freshAddress = () => `198.51.100.${++fresh % 250}`;

forEachDialect("LoginGuard (login_failures table, injected clock)", (target) => {
  test("per-account back-off doubles with each failure and is capped at backoffMaxSeconds", async (t) => {
    const h = await harness(t, target);
    assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: true });
    const expected = [1, 2, 4, 8, 8];
    for (const [i, seconds] of expected.entries()) {
      assert.equal(await h.guard.recordFailure("victim", freshAddress()), false, `failure ${i + 1} locks nothing`);
      const failedAt = h.now();
      assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: false, retryAfterSeconds: seconds }, `after failure ${i + 1}`);
      h.set(failedAt + seconds * 1000 - 1);
      assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: false, retryAfterSeconds: 1 }, `1 ms before the back-off after failure ${i + 1} ends`);
      assert.deepEqual(await h.otherGuard.check("victim", freshAddress()), { ok: false, retryAfterSeconds: 1 }, "shared by every service");
      h.set(failedAt + seconds * 1000);
      assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: true }, `back-off after failure ${i + 1} is exactly ${seconds} s`);
    }
    // Other names are not affected.
    assert.deepEqual(await h.guard.check("bystander", freshAddress()), { ok: true });
  });

  test("the account is locked for lockoutSeconds at the Nth failure (accountLockoutAfter), whatever the address", async (t) => {
    const h = await harness(t, target);
    for (let i = 1; i < SETTINGS.accountLockoutAfter; i++) {
      assert.equal(await h.guard.recordFailure("victim", freshAddress()), false);
      h.advance(10_000);
    }
    assert.equal(await h.guard.recordFailure("victim", freshAddress()), true, "the 6th failure locks the account");
    const lockedAt = h.now();
    assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: false, retryAfterSeconds: 60 });
    h.set(lockedAt + 59_999);
    assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(await h.guard.check("Victim".toLowerCase(), "203.0.113.1"), { ok: false, retryAfterSeconds: 1 }, "from anywhere");
    h.set(lockedAt + 60_000);
    assert.deepEqual(await h.guard.check("victim", freshAddress()), { ok: true }, "the lockout ends after lockoutSeconds");
    const row = (await h.failures.get(["account:victim"])).get("account:victim");
    assert.deepEqual(row, { failures: 6, lastFailureAt: lockedAt, lockedUntil: lockedAt + 60_000 });
  });

  test("an address is locked after addressLockoutAfter failures across many account names; other addresses are not", async (t) => {
    const h = await harness(t, target);
    const attacker = "192.0.2.66";
    for (let i = 1; i < SETTINGS.addressLockoutAfter; i++) {
      assert.equal(await h.guard.recordFailure(`name${i}`, attacker), false, `failure ${i}`);
    }
    // Nine failures: back-off (capped at 8 s), no lockout yet.
    assert.deepEqual(await h.guard.check("newname", attacker), { ok: false, retryAfterSeconds: 8 });
    h.advance(8_000);
    assert.deepEqual(await h.guard.check("newname", attacker), { ok: true });
    assert.equal(await h.guard.recordFailure("name10", attacker), true, "the 10th failure locks the address");
    assert.deepEqual(await h.guard.check("newname", attacker), { ok: false, retryAfterSeconds: 60 });
    assert.deepEqual(await h.guard.check("newname", "192.0.2.67"), { ok: true }, "the neighbour address is not locked");
    h.advance(8_000);
    assert.deepEqual(await h.guard.check("name1", "192.0.2.67"), { ok: true }, "the accounts tried are not locked");
    h.advance(52_000);
    assert.deepEqual(await h.guard.check("newname", attacker), { ok: true }, "the address lockout ends");
  });

  test("IPv6 addresses in the same /64 share one counter (any spelling, IPv4-mapped IPv4 counts as IPv4)", async (t) => {
    const h = await harness(t, target);
    const sameNet = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:DB8:0001:0002::ffff", "2001:0db8:1:2:0:0:0:9"];
    const key = LoginGuard.keys("x", sameNet[0]!).address;
    assert.equal(key, "address:2001:db8:1:2::/64");
    for (const address of sameNet) assert.equal(LoginGuard.keys("x", address).address, key, address);
    assert.notEqual(LoginGuard.keys("x", "2001:db8:1:3::1").address, key);
    assert.equal(LoginGuard.keys("x", "::ffff:192.0.2.7").address, LoginGuard.keys("x", "192.0.2.7").address);

    // Ten failures spread over the /64, each with another name: the whole /64 is locked.
    for (let i = 0; i < SETTINGS.addressLockoutAfter; i++) {
      await h.guard.recordFailure(`user${i}`, sameNet[i % sameNet.length]!);
    }
    assert.equal((await h.failures.get([key])).get(key)?.failures, 10);
    assert.deepEqual(await h.guard.check("someone", "2001:db8:1:2:1234::1"), { ok: false, retryAfterSeconds: 60 }, "another host of the same /64");
    assert.deepEqual(await h.guard.check("someone", "2001:db8:1:3::1"), { ok: true }, "the next /64 is separate");
    // Each host of the /64 is not counted on its own.
    assert.equal((await h.failures.get(["address:2001:db8:1:2::1"])).size, 0);
  });

  test("a successful login resets the account's counter only, not the address's", async (t) => {
    const h = await harness(t, target);
    const address = "192.0.2.10";
    for (let i = 0; i < 3; i++) await h.guard.recordFailure("alice", address);
    await h.guard.recordSuccess("alice");
    const rows = await h.failures.get(["account:alice", `address:${address}`]);
    assert.equal(rows.has("account:alice"), false, "account counter cleared");
    assert.equal(rows.get(`address:${address}`)?.failures, 3, "address counter kept");
    assert.deepEqual(await h.guard.check("alice", "192.0.2.11"), { ok: true }, "alice from elsewhere: no back-off");
    assert.deepEqual(await h.guard.check("alice", address), { ok: false, retryAfterSeconds: 4 }, "the address still backs off (3 failures: 4 s)");
    // The next failure on alice starts from one.
    h.advance(4_000);
    await h.guard.recordFailure("alice", "192.0.2.12");
    assert.equal((await h.failures.get(["account:alice"])).get("account:alice")?.failures, 1);
  });

  test("counters are forgotten forgetAfterSeconds after the last failure", async (t) => {
    const h = await harness(t, target);
    for (let i = 0; i < 5; i++) await h.guard.recordFailure("bob", "192.0.2.20");
    const last = h.now();
    h.set(last + SETTINGS.forgetAfterSeconds * 1000);
    await h.guard.recordFailure("bob", "192.0.2.21");
    assert.equal((await h.failures.get(["account:bob"])).get("account:bob")?.failures, 6, "at exactly forgetAfterSeconds the count is still remembered");

    h.set(last + SETTINGS.forgetAfterSeconds * 1000 + SETTINGS.forgetAfterSeconds * 1000 + 1);
    assert.deepEqual(await h.guard.check("bob", "192.0.2.20"), { ok: true });
    assert.equal(await h.guard.recordFailure("bob", "192.0.2.20"), false);
    const rows = await h.failures.get(["account:bob", "address:192.0.2.20"]);
    assert.equal(rows.get("account:bob")?.failures, 1, "the account counter starts again");
    assert.equal(rows.get("address:192.0.2.20")?.failures, 1, "so does the address counter");
    assert.deepEqual(await h.guard.check("bob", "192.0.2.99"), { ok: false, retryAfterSeconds: 1 }, "back-off starts from the base again");
  });

  test("with no account name (registration) only the address counter is checked and counted", async (t) => {
    const h = await harness(t, target);
    const address = "192.0.2.30";
    assert.equal(await h.guard.recordFailure(null, address), false);
    const rows = await h.failures.get(["account:", `address:${address}`]);
    assert.deepEqual([...rows.keys()], [`address:${address}`], "no account counter, not even an empty name's");
    assert.deepEqual(await h.guard.check(null, address), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(await h.guard.check(null, "192.0.2.31"), { ok: true });
    assert.deepEqual(await h.guard.check("anyone", address), { ok: false, retryAfterSeconds: 1 }, "a login from that address backs off too");
    for (let i = 1; i < SETTINGS.addressLockoutAfter - 1; i++) await h.guard.recordFailure(null, address);
    assert.equal(await h.guard.recordFailure(null, address), true, "the address locks at addressLockoutAfter");
    assert.deepEqual(await h.guard.check(null, address), { ok: false, retryAfterSeconds: 60 });
  });

  test("a lockout lasts lockoutSeconds even when forgetAfterSeconds is shorter", async (t) => {
    const h = await harness(t, target, { forgetAfterSeconds: 30, lockoutSeconds: 120 });
    for (let i = 0; i < SETTINGS.accountLockoutAfter; i++) await h.guard.recordFailure("carol", freshAddress());
    const lockedAt = h.now();
    h.set(lockedAt + 31_000);
    assert.deepEqual(await h.guard.check("carol", freshAddress()), { ok: false, retryAfterSeconds: 89 });
    h.set(lockedAt + 120_000);
    assert.deepEqual(await h.guard.check("carol", freshAddress()), { ok: true });
  });

  test("AccountService.login answers 'throttled' with retryAfterSeconds while the guard refuses, without checking the password", async (t) => {
    const h = await harness(t, target);
    const service = new AccountService(new AccountsRepository(h.store.db), h.guard, { nameLength: 30, scramIterations: 0, password: { minBytes: 8, rejectCommon: true }, selfRegistration: true, registrationsPerAddressPerHour: 0 }, pino({ level: "silent" }), h.now);
    assert.ok((await service.register("dora", "dora's long password", null)).ok);
    for (let i = 0; i < SETTINGS.accountLockoutAfter; i++) {
      assert.deepEqual(await service.login("dora", "wrong password", freshAddress(), "test"), { ok: false, reason: "invalid-credentials" });
      h.advance(10_000);
    }
    const refused = await service.login("dora", "dora's long password", freshAddress(), "test");
    assert.deepEqual(refused, { ok: false, reason: "throttled", retryAfterSeconds: 50 }, "locked: even the right password is refused");
    h.advance(50_000);
    assert.equal((await service.login("dora", "dora's long password", freshAddress(), "test")).ok, true);
    assert.equal((await h.failures.get(["account:dora"])).size, 0, "success reset the account counter");
  });
});
