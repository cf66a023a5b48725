/**
 * The shared brute-force defence as IRC clients meet it: exponential back-off after
 * a failure and a lockout after N failures, during which even the right password
 * is refused with a "try again" reason; SASL and NickServ count against the same guard.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, sleep } from "../support/account-server.js";
import type { RawClient } from "../support/raw-client.js";
import { registerAccount, saslPlain } from "../support/sasl.js";
import { retryWhile } from "../support/wait.js";

const TRY_AGAIN = /^:cmymessage\.local 904 \* :SASL authentication failed: Too many failed attempts; try again in (\d+) seconds$/;
const INVALID = ":cmymessage.local 904 * :SASL authentication failed: Invalid account or password";

/**
 * A SASL PLAIN attempt made again while the guard answers "try again" (a refused
 * attempt is not counted): waits out a back-off or lockout by its end, not by a guess.
 */
function saslPastGuard(client: RawClient, account: string, password: string, intervalMs = 20): Promise<string> {
  return retryWhile(async () => (await saslPlain(client, account, password)).raw, (reply) => TRY_AGAIN.test(reply), { intervalMs });
}

test("brute force: back-off after a failure, lockout after 3, the right password refused with 'try again' until it passes", async (t) => {
  const fx = await openFixture(t, {
    auth: {
      bruteForce: { backoffBaseSeconds: 0.3, backoffMaxSeconds: 0.6, accountLockoutAfter: 3, addressLockoutAfter: 1000, lockoutSeconds: 3, forgetAfterSeconds: 60 },
    },
  });
  await registerAccount(fx, "mallory", "the right password", { quit: true });
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");

  // 1st failure, then at once the right password: refused, the back-off has not passed.
  assert.equal((await saslPlain(c, "mallory", "guess one")).raw, INVALID);
  const early = await saslPlain(c, "mallory", "the right password");
  assert.match(early.raw, TRY_AGAIN);
  assert.equal(TRY_AGAIN.exec(early.raw)![1], "1");

  // The back-off passes; two more failures (waiting out each back-off) reach the lockout.
  assert.equal(await saslPastGuard(c, "mallory", "guess two"), INVALID);
  assert.equal(await saslPastGuard(c, "mallory", "guess three"), INVALID);

  // Past any back-off (at most 0.6 s) but inside the lockout (3 s): the right password is
  // still refused, over SASL and NickServ alike. Nothing to wait for but the clock here.
  await sleep(700);
  const locked = await saslPlain(c, "mallory", "the right password");
  assert.match(locked.raw, TRY_AGAIN);
  assert.ok(Number(TRY_AGAIN.exec(locked.raw)![1]) >= 1);
  const other = await fx.raw("notmallory", { localAddress: "127.0.0.3" });
  other.send("PRIVMSG NickServ :IDENTIFY mallory the right password");
  assert.match(await other.waitFor(/ NOTICE notmallory :/), /:Too many failed attempts; try again in \d+ seconds\.$/);
  assert.equal(c.lines.filter((l) => / 90[03] /.test(l)).length, 0);

  // Once the lockout is over the right password works, and resets the account's counter.
  assert.equal(await saslPastGuard(c, "mallory", "the right password", 100), ":cmymessage.local 903 * :SASL authentication successful");
  c.send("NICK mallory");
  c.send("USER mallory 0 * :m");
  c.send("CAP END");
  await c.waitFor(/ 001 mallory /);

  // A single new failure after the reset only backs off (0.3 s: "1 second"), it does not lock again (3 s).
  const again = await fx.rawConnect({ localAddress: "127.0.0.4" });
  assert.equal((await saslPlain(again, "mallory", "guess four")).raw, INVALID);
  const soon = (await saslPlain(again, "mallory", "the right password")).raw;
  if (soon !== ":cmymessage.local 903 * :SASL authentication successful") {
    assert.equal(TRY_AGAIN.exec(soon)?.[1], "1", `a back-off, not a lockout: ${soon}`);
    assert.equal(await saslPastGuard(again, "mallory", "the right password"), ":cmymessage.local 903 * :SASL authentication successful");
  }
});

test("brute force: failures from one address are counted across account names (unknown ones too)", async (t) => {
  const fx = await openFixture(t, {
    auth: {
      bruteForce: { backoffBaseSeconds: 0.05, backoffMaxSeconds: 0.05, accountLockoutAfter: 100, addressLockoutAfter: 3, lockoutSeconds: 1.5, forgetAfterSeconds: 60 },
    },
  });
  await registerAccount(fx, "nina", "ninas long password", { quit: true });
  const attacker = await fx.rawConnect({ localAddress: "127.0.0.5" });
  for (const name of ["nobody1", "nobody2", "nobody3"]) assert.equal(await saslPastGuard(attacker, name, "whatever password"), INVALID);
  // The address is locked, whatever the account.
  assert.match((await saslPlain(attacker, "nina", "ninas long password")).raw, TRY_AGAIN);
  // Another address is not.
  const honest = await fx.rawConnect({ localAddress: "127.0.0.6" });
  assert.equal((await saslPlain(honest, "nina", "ninas long password")).command, "903");
});
