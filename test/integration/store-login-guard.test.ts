/**
 * The brute-force guard over the real login_failures table, on every dialect,
 * with an injected clock: back-off and lockout per (account, address), lockout per
 * address, the account's failures paced but never locked, IPv6 /64 grouping, reset
 * on success and forgetting — without a single sleep.
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
  accountAddressLockoutAfter: 6,
  addressLockoutAfter: 10,
  lockoutSeconds: 60,
  forgetAfterSeconds: 300,
  accountFailuresPerSecond: 4,
  failureDelayMaxSeconds: 2,
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

forEachDialect("LoginGuard (login_failures table, injected clock)", (target) => {
  test("per (account, address): the first failure costs nothing, then the back-off doubles up to backoffMaxSeconds", async (t) => {
    const h = await harness(t, target, { accountAddressLockoutAfter: 100 });
    const address = "192.0.2.1";
    assert.deepEqual(await h.guard.check("victim", address), { ok: true });
    assert.deepEqual(await h.guard.recordFailure("victim", address), { locked: false, replyDelayMs: 0 });
    assert.deepEqual(await h.guard.check("victim", address), { ok: true }, "one typo: the next attempt goes ahead at once");
    const expected = [1, 2, 4, 8, 8];
    for (const [i, seconds] of expected.entries()) {
      h.advance(1_000); // past the account's pace, which is not what this test is about
      assert.equal((await h.guard.recordFailure("victim", address)).locked, false, `failure ${i + 2} locks nothing`);
      const failedAt = h.now();
      assert.deepEqual(await h.guard.check("victim", address), { ok: false, retryAfterSeconds: seconds }, `after failure ${i + 2}`);
      h.set(failedAt + seconds * 1000 - 1);
      assert.deepEqual(await h.otherGuard.check("victim", address), { ok: false, retryAfterSeconds: 1 }, "shared by every service");
      assert.deepEqual(await h.guard.check("victim", "192.0.2.2"), { ok: true }, "the account from another address: never refused");
      assert.deepEqual(await h.guard.check("bystander", address), { ok: true }, "another account from the same address: not refused");
      h.set(failedAt + seconds * 1000);
      assert.deepEqual(await h.guard.check("victim", address), { ok: true }, `back-off after failure ${i + 2} is exactly ${seconds} s`);
    }
  });

  test("the (account, address) pair is locked at accountAddressLockoutAfter; the owner elsewhere is not", async (t) => {
    const h = await harness(t, target);
    const attacker = "192.0.2.3";
    for (let i = 1; i < SETTINGS.accountAddressLockoutAfter; i++) {
      assert.equal((await h.guard.recordFailure("victim", attacker)).locked, false);
      h.advance(10_000);
    }
    assert.equal((await h.guard.recordFailure("victim", attacker)).locked, true, "the 6th failure locks the pair");
    const lockedAt = h.now();
    assert.deepEqual(await h.guard.check("victim", attacker), { ok: false, retryAfterSeconds: 60 });
    assert.deepEqual(await h.guard.check("victim", "192.0.2.4"), { ok: true }, "the owner on another address logs in");
    assert.deepEqual(await h.guard.check("other", attacker), { ok: true }, "the attacker's address is not locked out of other accounts (6 < addressLockoutAfter)");
    h.set(lockedAt + 60_000);
    assert.deepEqual(await h.guard.check("victim", attacker), { ok: true }, "the lockout ends after lockoutSeconds");
    const row = (await h.failures.get([`pair:${attacker} victim`])).get(`pair:${attacker} victim`);
    assert.deepEqual(row, { failures: 6, lastFailureAt: lockedAt, lockedUntil: lockedAt + 60_000 });
  });

  test("an address is locked after addressLockoutAfter failures across names, with no back-off before (one NAT, many users)", async (t) => {
    const h = await harness(t, target);
    const office = "192.0.2.66";
    for (let i = 1; i < SETTINGS.addressLockoutAfter; i++) {
      assert.equal((await h.guard.recordFailure(`name${i}`, office)).locked, false, `failure ${i}`);
      assert.deepEqual(await h.guard.check(`colleague${i}`, office), { ok: true }, "others behind the same address are not slowed");
    }
    assert.equal((await h.guard.recordFailure("name10", office)).locked, true, "the 10th failure locks the address");
    assert.deepEqual(await h.guard.check("newname", office), { ok: false, retryAfterSeconds: 60 });
    assert.deepEqual(await h.guard.check("newname", "192.0.2.67"), { ok: true }, "the neighbour address is not locked");
    assert.deepEqual(await h.guard.check("name1", "192.0.2.67"), { ok: true }, "the accounts tried are not locked");
    h.advance(60_000);
    assert.deepEqual(await h.guard.check("newname", office), { ok: true }, "the address lockout ends");
  });

  test("IPv6 addresses in the same /64 share one counter (any spelling, IPv4-mapped IPv4 counts as IPv4)", async (t) => {
    const h = await harness(t, target);
    const sameNet = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:DB8:0001:0002::ffff", "2001:0db8:1:2:0:0:0:9"];
    const key = LoginGuard.keys("x", sameNet[0]!).address;
    assert.equal(key, "address:2001:db8:1:2::/64");
    for (const address of sameNet) assert.equal(LoginGuard.keys("x", address).address, key, address);
    assert.equal(LoginGuard.keys("x", sameNet[1]!).pair, "pair:2001:db8:1:2::/64 x");
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

  test("the account's failures are paced at accountFailuresPerSecond: first failures' replies wait for their slot, failed addresses take a slot to try again", async (t) => {
    const h = await harness(t, target);
    const attackers = Array.from({ length: 12 }, (_, i) => `203.0.113.${i + 1}`);
    // Twelve failures in the same instant from twelve addresses: slots 250 ms apart, each reply waits for its slot (at most 2 s).
    const delays: number[] = [];
    for (const address of attackers) delays.push((await h.guard.recordFailure("victim", address)).replyDelayMs);
    assert.deepEqual(delays, [0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2000, 2000, 2000]);
    // The slots run 3 s ahead: an address that failed waits until they are within 2 s.
    assert.deepEqual(await h.guard.check("victim", attackers[0]!), { ok: false, retryAfterSeconds: 1 });
    // An address that never failed on the account is not refused: the owner's password is checked at once.
    assert.deepEqual(await h.guard.check("victim", "198.51.100.200"), { ok: true });
    assert.deepEqual(await h.guard.check("bystander", attackers[0]!), { ok: true }, "other accounts are not paced");
    h.advance(1_000);
    assert.deepEqual(await h.guard.check("victim", attackers[0]!), { ok: true }, "once the slots are within failureDelayMaxSeconds");
    // That attempt took a slot before its password was checked: the next one from a failed address waits again.
    assert.deepEqual(await h.guard.check("victim", attackers[1]!), { ok: false, retryAfterSeconds: 1 });
    assert.deepEqual(await h.guard.recordFailure("victim", attackers[0]!), { locked: false, replyDelayMs: 0 }, "its slot was taken at the check");
    h.advance(250);
    assert.deepEqual(await h.guard.check("victim", attackers[1]!), { ok: true }, "a quarter second later, the next slot");
    // Concurrent failures (as from many connections at once) still take successive slots.
    h.advance(60_000);
    const concurrent = await Promise.all(attackers.slice(0, 5).map((a) => h.otherGuard.recordFailure("other", a)));
    // Each concurrent failure gets a slot of its own, a quarter second apart; which one gets which
    // depends on the order the database answers (PostgreSQL may answer the third before the second).
    assert.deepEqual(
      concurrent.map((o) => o.replyDelayMs).sort((a, b) => a - b),
      [0, 250, 500, 750, 1000],
    );
  });

  test("two nodes counting failures at the same moment: every failure counts, and each first failure on an account takes a slot of its own", async (t) => {
    const h = await harness(t, target, { addressLockoutAfter: 1000, accountAddressLockoutAfter: 1000 });
    const address = "192.0.2.70";
    // Twenty failures from one address on twenty names, half counted by each guard, side by side.
    const names = Array.from({ length: 20 }, (_, i) => `name${i}`);
    await Promise.all(names.map((name, i) => (i % 2 === 0 ? h.guard : h.otherGuard).recordFailure(name, address)));
    assert.equal((await h.failures.get([LoginGuard.keys("", address).address])).get(LoginGuard.keys("", address).address)?.failures, 20);
    // Eight first failures on one account from eight addresses, split between the guards: eight distinct slots.
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? h.guard : h.otherGuard).recordFailure("shared", `198.51.100.${i + 1}`)),
    );
    assert.deepEqual(
      outcomes.map((o) => o.replyDelayMs).sort((a, b) => a - b),
      [0, 250, 500, 750, 1000, 1250, 1500, 1750],
    );
  });

  test("a pace that does not divide a second (3 per second) takes slots a whole number of milliseconds apart", async (t) => {
    const h = await harness(t, target, { accountFailuresPerSecond: 3 });
    const delays: number[] = [];
    for (const address of ["203.0.113.101", "203.0.113.102", "203.0.113.103"]) delays.push((await h.guard.recordFailure("paced", address)).replyDelayMs);
    assert.deepEqual(delays, [0, 334, 668]);
    assert.deepEqual(await h.guard.check("paced", "203.0.113.101"), { ok: true }, "a failed address takes the next slot, within failureDelayMaxSeconds");
  });

  test("a successful login resets its (account, address) counter only, not the address's nor the account's pace", async (t) => {
    const h = await harness(t, target);
    const address = "192.0.2.10";
    for (let i = 0; i < 3; i++) await h.guard.recordFailure("alice", address);
    await h.guard.recordSuccess("alice", address);
    const rows = await h.failures.get([`pair:${address} alice`, `address:${address}`, "account:alice"]);
    assert.equal(rows.has(`pair:${address} alice`), false, "pair counter cleared");
    assert.equal(rows.get(`address:${address}`)?.failures, 3, "address counter kept");
    assert.ok(rows.has("account:alice"), "account pace kept");
    h.advance(1_000);
    assert.deepEqual(await h.guard.check("alice", address), { ok: true }, "no back-off left for alice from there");
    await h.guard.recordFailure("alice", address);
    assert.equal((await h.failures.get([`pair:${address} alice`])).get(`pair:${address} alice`)?.failures, 1, "the next failure starts from one");
  });

  test("counters are forgotten forgetAfterSeconds after the last failure", async (t) => {
    const h = await harness(t, target);
    const address = "192.0.2.20";
    for (let i = 0; i < 5; i++) await h.guard.recordFailure("bob", address);
    const last = h.now();
    h.set(last + SETTINGS.forgetAfterSeconds * 1000);
    await h.guard.recordFailure("bob", address);
    assert.equal((await h.failures.get([`pair:${address} bob`])).get(`pair:${address} bob`)?.failures, 6, "at exactly forgetAfterSeconds the count is still remembered");

    h.set(h.now() + SETTINGS.forgetAfterSeconds * 1000 + 1);
    assert.deepEqual(await h.guard.check("bob", address), { ok: true });
    assert.equal((await h.guard.recordFailure("bob", address)).locked, false);
    const rows = await h.failures.get([`pair:${address} bob`, `address:${address}`, "account:bob"]);
    assert.equal(rows.get(`pair:${address} bob`)?.failures, 1, "the pair counter starts again");
    assert.equal(rows.get(`address:${address}`)?.failures, 1, "so does the address counter");
    assert.equal(rows.get("account:bob")?.failures, 1, "and the account's");
  });

  test("with no account name (registration) only the address counter is checked and counted", async (t) => {
    const h = await harness(t, target);
    const address = "192.0.2.30";
    assert.deepEqual(await h.guard.recordFailure(null, address), { locked: false, replyDelayMs: 0 });
    const rows = await h.failures.get(["account:", `address:${address}`, `pair:${address} `]);
    assert.deepEqual([...rows.keys()], [`address:${address}`], "no account or pair counter, not even an empty name's");
    assert.deepEqual(await h.guard.check(null, address), { ok: true }, "no back-off per address");
    for (let i = 1; i < SETTINGS.addressLockoutAfter - 1; i++) await h.guard.recordFailure(null, address);
    assert.equal((await h.guard.recordFailure(null, address)).locked, true, "the address locks at addressLockoutAfter");
    assert.deepEqual(await h.guard.check(null, address), { ok: false, retryAfterSeconds: 60 });
    assert.deepEqual(await h.guard.check("anyone", address), { ok: false, retryAfterSeconds: 60 }, "logins from that address too");
    assert.deepEqual(await h.guard.check(null, "192.0.2.31"), { ok: true });
  });

  /** Admits `names` from `address` side by side; each one let in fails. How many were let in (passwords checked). */
  async function guessSideBySide(h: Harness, names: readonly string[], address: string): Promise<number> {
    const verdicts = await Promise.all(
      names.map(async (name) => {
        const verdict = await h.guard.admit(name, address);
        if (verdict.ok) await h.guard.recordFailure(name, address, verdict.attempt);
        return verdict.ok;
      }),
    );
    return verdicts.filter(Boolean).length;
  }

  test("guesses from one address on many accounts side by side: no more checked than the address lockout, and every one counted", async (t) => {
    const h = await harness(t, target, { accountFailuresPerSecond: 1000 });
    const address = "192.0.2.40";
    const names = Array.from({ length: 30 }, (_, i) => `spray${i}`);
    assert.equal(await guessSideBySide(h, names, address), SETTINGS.addressLockoutAfter);
    const row = (await h.failures.get([`address:${address}`])).get(`address:${address}`);
    assert.equal(row?.failures, SETTINGS.addressLockoutAfter, "a failure counted side by side with others was lost");
    assert.ok(row?.lockedUntil !== null && row!.lockedUntil > h.now());
  });

  test("right after an address lockout ends, a burst side by side gets one guess checked, as in a row", async (t) => {
    const h = await harness(t, target, { accountFailuresPerSecond: 1000, forgetAfterSeconds: 3600 });
    const address = "192.0.2.41";
    for (let i = 0; i < SETTINGS.addressLockoutAfter; i++) await h.guard.recordFailure(`before${i}`, address);
    h.advance(SETTINGS.lockoutSeconds * 1000 + 1);
    assert.equal(await guessSideBySide(h, Array.from({ length: 20 }, (_, i) => `after${i}`), address), 1);
  });

  test("a lockout lasts lockoutSeconds even when forgetAfterSeconds is shorter", async (t) => {
    const h = await harness(t, target, { forgetAfterSeconds: 30, lockoutSeconds: 120 });
    for (let i = 0; i < SETTINGS.accountAddressLockoutAfter; i++) await h.guard.recordFailure("carol", "192.0.2.40");
    const lockedAt = h.now();
    h.set(lockedAt + 31_000);
    assert.deepEqual(await h.guard.check("carol", "192.0.2.40"), { ok: false, retryAfterSeconds: 89 });
    h.set(lockedAt + 120_000);
    assert.deepEqual(await h.guard.check("carol", "192.0.2.40"), { ok: true });
  });

  test("AccountService.login: 'throttled' without checking the password while the pair is locked; the right password from elsewhere works", async (t) => {
    const h = await harness(t, target, { accountFailuresPerSecond: 1000 });
    const service = new AccountService(new AccountsRepository(h.store.db), h.guard, { nameLength: 30, scramIterations: 0, password: { minBytes: 8, rejectCommon: true }, selfRegistration: true, registrationsPerAddressPerHour: 0 }, pino({ level: "silent" }), h.now);
    assert.ok((await service.register("dora", "dora's long password", null)).ok);
    const attacker = "192.0.2.50";
    for (let i = 0; i < SETTINGS.accountAddressLockoutAfter; i++) {
      assert.deepEqual(await service.login("dora", "wrong password", attacker, "test"), { ok: false, reason: "invalid-credentials" });
      h.advance(10_000);
    }
    const refused = await service.login("dora", "dora's long password", attacker, "test");
    assert.deepEqual(refused, { ok: false, reason: "throttled", retryAfterSeconds: 50 }, "locked: even the right password is refused from there");
    assert.equal((await service.login("dora", "dora's long password", "192.0.2.51", "test")).ok, true, "the owner elsewhere gets in");
    h.advance(50_000);
    assert.equal((await service.login("dora", "dora's long password", attacker, "test")).ok, true);
    assert.equal((await h.failures.get([`pair:${attacker} dora`])).size, 0, "success reset the pair counter");
  });
});
