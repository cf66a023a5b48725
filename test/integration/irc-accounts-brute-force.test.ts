/**
 * The shared brute-force defence as IRC clients meet it (SASL PLAIN and NickServ count
 * against the same guard): lockouts are per address and per (account, address), so an
 * attacker elsewhere never locks the owner out; the account's failures from everywhere
 * together are only paced; one typo costs nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, sleep } from "../support/account-server.js";
import type { RawClient } from "../support/raw-client.js";
import { registerAccount, saslPlain } from "../support/sasl.js";
import { retryWhile, waitFor } from "../support/wait.js";

const TRY_AGAIN = /^:cmymessage\.local 904 \* :SASL authentication failed: Too many failed attempts; try again in (\d+) seconds?$/;
const INVALID = ":cmymessage.local 904 * :SASL authentication failed: Invalid account or password";
const SUCCESS = ":cmymessage.local 903 * :SASL authentication successful";

/**
 * A SASL PLAIN attempt made again while the guard answers "try again" (a refused
 * attempt is not counted): waits out a back-off or lockout by its end, not by a guess.
 */
function saslPastGuard(client: RawClient, account: string, password: string, intervalMs = 20): Promise<string> {
  return retryWhile(async () => (await saslPlain(client, account, password)).raw, (reply) => TRY_AGAIN.test(reply), { intervalMs });
}

async function saslClient(fx: Awaited<ReturnType<typeof openFixture>>, localAddress: string): Promise<RawClient> {
  const client = await fx.rawConnect({ localAddress });
  client.send("CAP LS 302");
  client.send("CAP REQ :sasl");
  return client;
}

test("brute force: an attacker on 127.0.0.2 locks only itself out; the owner on 127.0.0.1 logs in at once, by SASL and NickServ", async (t) => {
  const fx = await openFixture(t, {
    auth: {
      bruteForce: { backoffBaseSeconds: 0.3, backoffMaxSeconds: 0.6, accountAddressLockoutAfter: 3, addressLockoutAfter: 1000, lockoutSeconds: 60, forgetAfterSeconds: 60 },
    },
  });
  await registerAccount(fx, "mallory", "the right password", { quit: true });
  const attacker = await saslClient(fx, "127.0.0.2");

  // The 1st failure costs nothing; after the 2nd the pair backs off (0.3 s: "1 second", singular).
  assert.equal((await saslPlain(attacker, "mallory", "guess one")).raw, INVALID);
  assert.equal((await saslPlain(attacker, "mallory", "guess two")).raw, INVALID);
  assert.equal((await saslPlain(attacker, "mallory", "guess three")).raw, ":cmymessage.local 904 * :SASL authentication failed: Too many failed attempts; try again in 1 second");
  // The 3rd failure locks 127.0.0.2 out of mallory for a minute: even the right password.
  assert.equal(await saslPastGuard(attacker, "mallory", "guess three"), INVALID);
  await sleep(700); // past any back-off (0.6 s), inside the lockout
  const locked = await saslPlain(attacker, "mallory", "the right password");
  assert.ok(Number(TRY_AGAIN.exec(locked.raw)?.[1]) > 50, locked.raw);

  // The owner, elsewhere, is not refused and waits for nothing.
  const owner = await saslClient(fx, "127.0.0.1");
  const started = performance.now();
  assert.equal((await saslPlain(owner, "mallory", "the right password")).raw, SUCCESS);
  assert.ok(performance.now() - started < 1500, "no delay for the right password from an address that has not failed");
  const other = await fx.raw("notmallory", { localAddress: "127.0.0.3" });
  other.send("PRIVMSG NickServ :IDENTIFY mallory the right password");
  assert.match(await other.waitFor(/ NOTICE notmallory :/), /You are now logged in as mallory/);
});

test("brute force: a user who mistypes once gets in at once with the right password (server defaults)", async (t) => {
  const fx = await openFixture(t, { auth: { bruteForce: { backoffBaseSeconds: 1, backoffMaxSeconds: 30, accountFailuresPerSecond: 4 } } });
  await registerAccount(fx, "typo", "typos right password", { quit: true });
  const c = await saslClient(fx, "127.0.0.1");
  assert.equal((await saslPlain(c, "typo", "typos rihgt password")).raw, INVALID);
  assert.equal((await saslPlain(c, "typo", "typos right password")).raw, SUCCESS);
});

test("brute force: one wrong password from an address does not slow other accounts' logins from it (an office behind one NAT)", async (t) => {
  const fx = await openFixture(t, { auth: { bruteForce: { backoffBaseSeconds: 30, backoffMaxSeconds: 60, accountFailuresPerSecond: 4 } } });
  await registerAccount(fx, "ann", "anns long password", { quit: true });
  await registerAccount(fx, "ben", "bens long password", { quit: true });
  const annsDesk = await saslClient(fx, "127.0.0.7");
  assert.equal((await saslPlain(annsDesk, "ann", "wrong one")).raw, INVALID);
  assert.equal((await saslPlain(annsDesk, "ann", "wrong two")).raw, INVALID);
  const bensDesk = await saslClient(fx, "127.0.0.7");
  assert.equal((await saslPlain(bensDesk, "ben", "bens long password")).raw, SUCCESS);
  // Ann, having failed twice, waits out her back-off from there; a success then resets it.
  assert.match((await saslPlain(annsDesk, "ann", "anns long password")).raw, TRY_AGAIN);
});

test("brute force: 50 attacking addresses are paced to accountFailuresPerSecond on the account, and the owner still gets in", async (t) => {
  const perSecond = 4;
  const delayMax = 1;
  const fx = await openFixture(t, {
    limits: { connectionsPerIp: 1000 },
    auth: {
      bruteForce: {
        backoffBaseSeconds: 0.001,
        backoffMaxSeconds: 0.001,
        accountAddressLockoutAfter: 100_000,
        addressLockoutAfter: 100_000,
        accountFailuresPerSecond: perSecond,
        failureDelayMaxSeconds: delayMax,
      },
    },
  });
  await registerAccount(fx, "target", "targets long password", { quit: true });
  const attackers = await Promise.all(Array.from({ length: 50 }, (_, i) => saslClient(fx, `127.0.0.${10 + i}`)));
  const runMs = 4000;
  const start = performance.now();
  const answered: number[] = [];
  let throttled = 0;
  const attack = attackers.map(async (client, i) => {
    // Bounded: at most 200 attempts per address, and only until runMs has passed.
    for (let n = 0; n < 200 && performance.now() - start < runMs; n++) {
      const reply = (await saslPlain(client, "target", `guess ${i}-${n}`)).raw;
      if (reply === INVALID) answered.push(performance.now() - start);
      else if (TRY_AGAIN.test(reply)) {
        throttled++;
        await sleep(50);
      } else assert.fail(`unexpected reply ${reply}`);
    }
  });
  // The owner logs in in the middle of the attack, from an address that has not failed, once
  // every attacking address's first guess has been answered: from then on only the account's
  // pace lets guesses through to the (niced) hashing thread, so the owner's wait measures the
  // guard, not a queue of 50 first guesses on a machine busy with other work (CI saw 4.5 s).
  await waitFor(() => answered.length >= attackers.length, { timeoutMs: 30_000, intervalMs: 20, what: "every attacking address's first guess answered" });
  await sleep(200);
  const owner = await saslClient(fx, "127.0.0.1");
  const ownerStart = performance.now();
  assert.equal((await saslPlain(owner, "target", "targets long password")).raw, SUCCESS);
  // Not refused, and not held back by the guard (only by the CPU the attackers' password checks take).
  const ownerWaitedMs = performance.now() - ownerStart;
  await Promise.all(attack);
  assert.ok(ownerWaitedMs < runMs, `the owner waited ${Math.round(ownerWaitedMs)} ms`);
  const elapsedSeconds = (performance.now() - start) / 1000;
  // Each address's first guess is answered (an address that has not failed is never refused);
  // every further one waits for the account's pace, with at most delayMax seconds of slots queued.
  const firstGuesses = attackers.length;
  const paced = answered.length - firstGuesses;
  assert.ok(throttled > 0, "the attackers were told to wait");
  t.diagnostic(`${answered.length} guesses answered (${paced} after the first per address), ${throttled} refused, in ${elapsedSeconds.toFixed(1)} s; the owner waited ${Math.round(ownerWaitedMs)} ms`);
  assert.ok(paced <= perSecond * (elapsedSeconds + delayMax) + 2, `${paced} further guesses answered in ${elapsedSeconds.toFixed(1)} s`);
});

test("brute force: failures from one address are counted across account names (unknown ones too)", async (t) => {
  const fx = await openFixture(t, {
    auth: {
      bruteForce: { backoffBaseSeconds: 0.05, backoffMaxSeconds: 0.05, accountAddressLockoutAfter: 100, addressLockoutAfter: 3, lockoutSeconds: 1.5, forgetAfterSeconds: 60 },
    },
  });
  await registerAccount(fx, "nina", "ninas long password", { quit: true });
  const attacker = await saslClient(fx, "127.0.0.5");
  for (const name of ["nobody1", "nobody2", "nobody3"]) assert.equal((await saslPlain(attacker, name, "whatever password")).raw, INVALID);
  // The address is locked, whatever the account.
  assert.match((await saslPlain(attacker, "nina", "ninas long password")).raw, TRY_AGAIN);
  // Another address is not.
  const honest = await saslClient(fx, "127.0.0.6");
  assert.equal((await saslPlain(honest, "nina", "ninas long password")).command, "903");
});
