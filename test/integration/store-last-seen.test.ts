/**
 * When an account was last seen only moves forward, on every dialect: several nodes
 * mark one account (each for its own sessions), and a connection's end races the
 * periodic marks; the latest time written stays, whichever write comes last.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { LoginFailuresRepository } from "../../src/store/login-failures-repository.js";
import { AccountService } from "../../src/core/accounts/account-service.js";
import { LoginGuard } from "../../src/core/accounts/login-guard.js";
import { forEachDialect } from "../support/databases.js";

const T0 = Date.UTC(2030, 0, 1);

forEachDialect("last seen", (target) => {
  test("touch and touchMany never move it back; touchMany marks every named account in one call, past its statement size", async (t) => {
    const store = await (await target.create(t)).open();
    const repository = new AccountsRepository(store.db);
    const names = Array.from({ length: 1203 }, (_, i) => `seen${i}`);
    for (const name of names.slice(0, 3)) assert.notEqual(typeof (await repository.create(name, name, null, [], T0)), "string");
    const seen = async (name: string): Promise<number | null> => (await repository.findByName(name))!.lastSeenAt;
    const [first, second, third] = names as [string, string, string];
    const { id } = (await repository.findByName(first))!;

    await repository.touch(id, T0 + 300);
    await repository.touch(id, T0 + 100);
    assert.equal(Number(await seen(first)), T0 + 300, "an earlier touch leaves the later time");
    await repository.touchMany([first, second], T0 + 200);
    assert.equal(Number(await seen(first)), T0 + 300, "an earlier touchMany leaves the later time");
    assert.equal(Number(await seen(second)), T0 + 200, "a never-seen account gets the time");
    // Names of no account (a deleted one) among them change nothing; the last chunk's names are marked too.
    await repository.touchMany([...names.slice(3), first, second, third], T0 + 400);
    for (const name of [first, second, third]) assert.equal(Number(await seen(name)), T0 + 400, name);
  });

  test("markSeenMany marks at the later of now and the last message shown (a sender's clock may be ahead, by 5 s at most)", async (t) => {
    const store = await (await target.create(t)).open();
    const repository = new AccountsRepository(store.db);
    let now = T0;
    const clock = (): number => now;
    const guard = new LoginGuard(new LoginFailuresRepository(store.db), { backoffBaseSeconds: 1, backoffMaxSeconds: 30, accountAddressLockoutAfter: 10, addressLockoutAfter: 30, lockoutSeconds: 900, forgetAfterSeconds: 3600, accountFailuresPerSecond: 4, failureDelayMaxSeconds: 5 }, clock);
    const service = new AccountService(repository, guard, { nameLength: 30, scramIterations: 0, password: { minBytes: 8, rejectCommon: false }, selfRegistration: true, registrationsPerAddressPerHour: 0 }, pino({ level: "silent" }), clock);
    assert.notEqual(typeof (await repository.create("carol", "carol", null, [], T0)), "string");
    now = T0 + 1000;
    await service.markSeenMany(["carol"], T0 + 1500);
    assert.equal(Number((await repository.findByName("carol"))!.lastSeenAt), T0 + 1500);
    now = T0 + 2000;
    await service.markSeenMany(["carol"], T0 + 1800);
    assert.equal(Number((await repository.findByName("carol"))!.lastSeenAt), T0 + 2000);
    // A sender's clock an hour ahead moves the mark 5 s ahead of this one, no more: it never moves back.
    await service.markSeenMany(["carol"], T0 + 2000 + 3_600_000);
    assert.equal(Number((await repository.findByName("carol"))!.lastSeenAt), T0 + 2000 + 5000);
  });
});
