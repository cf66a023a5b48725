/**
 * SASL SCRAM-SHA-256 (RFC 5802 / RFC 7677) against an independent client written
 * from the RFCs with node:crypto (test/support/scram-client.ts): the test checks the
 * server's signature too, so a server that merely said "903" without knowing the
 * verifier would fail.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture } from "../support/account-server.js";
import { waitFor } from "../support/wait.js";
import type { RawClient } from "../support/raw-client.js";
import { parseLine } from "../support/irc-lines.js";
import { SASL_END, registerAccount } from "../support/sasl.js";
import { ScramSha256Client, scramLogin, type ScramOutcome } from "../support/scram-client.js";

async function saslClient(fx: Awaited<ReturnType<typeof openFixture>>, localAddress?: string): Promise<RawClient> {
  const c = await fx.rawConnect(localAddress ? { localAddress } : {});
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");
  await c.waitFor(/ CAP \* ACK /);
  return c;
}

const THROTTLED = /Too many failed attempts/;

/**
 * A SCRAM login that gets past the brute-force guard: an earlier failure for the same
 * name holds the next attempt back for the (test-sized) back-off, so a refused attempt
 * is made again, on a new connection, until the guard lets it through.
 */
function scramLoginPastBackoff(fx: Awaited<ReturnType<typeof openFixture>>, localAddress: string, user: string, password: string): Promise<ScramOutcome> {
  return waitFor(
    async () => {
      const outcome = await scramLogin(await saslClient(fx, localAddress), new ScramSha256Client(user, password));
      return THROTTLED.test(outcome.end.raw) ? undefined : outcome;
    },
    { what: `a SCRAM login as ${user} past the back-off` },
  );
}

// ── tests ────────────────────────────────────────────────────────────────────

test("SCRAM-SHA-256: server-first, client-final with proof, the server's v= signature checks out, then AUTHENTICATE + gives 900 and 903", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "sara", "saras scram password", { quit: true });
  const c = await saslClient(fx);
  c.send("CAP LS 302");
  assert.match(await c.waitFor(/ CAP \* LS /), /\bsasl=PLAIN,SCRAM-SHA-256\b/);

  const outcome = await scramLogin(c, new ScramSha256Client("sara", "saras scram password"));
  assert.equal(outcome.serverFirst?.iterations, 4096);
  assert.equal(outcome.signatureValid, true, `server-final ${outcome.serverFinal}`);
  assert.equal(outcome.end.raw, ":cmymessage.local 903 * :SASL authentication successful");
  const loggedIn = parseLine(c.lines.find((l) => / 900 /.test(l))!);
  assert.equal(loggedIn.params[2], "sara");

  c.send("NICK sara");
  c.send("USER sara 0 * :s");
  c.send("CAP END");
  await c.waitFor(/ 001 sara /);
  c.send("WHOIS sara");
  assert.equal(await c.waitFor(/ 330 /), ":cmymessage.local 330 sara sara sara :is logged in as");
});

test("SCRAM-SHA-256: a wrong password gets 904 after the client proof, with no server signature", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "tom", "toms scram password", { quit: true });
  const c = await saslClient(fx);
  const outcome = await scramLogin(c, new ScramSha256Client("tom", "not toms password"));
  assert.ok(outcome.serverFirst, "the exchange reached the proof");
  assert.equal(outcome.serverFinal, null, "no v= for a wrong proof");
  assert.equal(outcome.end.raw, ":cmymessage.local 904 * :SASL authentication failed: Invalid account or password");
  assert.equal(c.lines.filter((l) => / 900 /.test(l)).length, 0);
});

test("SCRAM-SHA-256: an unknown account gets a normal-looking server-first (stable salt, same iterations) and then the same 904", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "uma", "umas scram password", { quit: true });

  const real = await scramLogin(await saslClient(fx, "127.0.0.7"), new ScramSha256Client("uma", "a wrong password"));
  const ghost1 = await scramLogin(await saslClient(fx, "127.0.0.8"), new ScramSha256Client("nobody-at-all", "a wrong password"));
  const ghost2 = await scramLoginPastBackoff(fx, "127.0.0.9", "nobody-at-all", "another password");

  for (const outcome of [real, ghost1, ghost2]) {
    assert.ok(outcome.serverFirst, outcome.end.raw);
    assert.equal(outcome.serverFinal, null);
    assert.equal(outcome.end.raw, ":cmymessage.local 904 * :SASL authentication failed: Invalid account or password");
  }
  assert.equal(ghost1.serverFirst!.iterations, real.serverFirst!.iterations);
  assert.equal(ghost1.serverFirst!.salt.length, real.serverFirst!.salt.length);
  assert.match(ghost1.serverFirst!.raw, /^r=[^,]+,s=[A-Za-z0-9+/]+=*,i=\d+$/);
  assert.match(real.serverFirst!.raw, /^r=[^,]+,s=[A-Za-z0-9+/]+=*,i=\d+$/);
  // A real account's salt never changes; an unknown name's must not either, or it gives itself away.
  assert.deepEqual(ghost2.serverFirst!.salt, ghost1.serverFirst!.salt);
});

test("SCRAM-SHA-256: an unknown account's stand-in salt is the same after a restart, and another installation's differs", async (t) => {
  const fx = await openFixture(t);
  const before = await scramLogin(await saslClient(fx, "127.0.0.10"), new ScramSha256Client("ghost-of-restarts", "a wrong password"));
  assert.ok(before.serverFirst, before.end.raw);

  await fx.restart();
  const after = await scramLoginPastBackoff(fx, "127.0.0.11", "ghost-of-restarts", "another password");
  assert.ok(after.serverFirst, after.end.raw);
  assert.deepEqual(after.serverFirst.salt, before.serverFirst.salt, "a restart must not give an unknown name away by a new salt");

  // Not a constant: the salt comes from a secret this installation made (a fresh data directory makes another).
  const elsewhere = await openFixture(t);
  const other = await scramLogin(await saslClient(elsewhere, "127.0.0.12"), new ScramSha256Client("ghost-of-restarts", "a wrong password"));
  assert.ok(other.serverFirst, other.end.raw);
  assert.notDeepEqual(other.serverFirst.salt, before.serverFirst.salt);
});

test("SCRAM-SHA-256: after NickServ SET PASSWORD the new password works and the old one does not", async (t) => {
  const fx = await openFixture(t);
  const vera = await registerAccount(fx, "vera", "veras-first-password");
  vera.send("PRIVMSG NickServ :SET PASSWORD veras-first-password veras second password");
  assert.match(await vera.waitFor(/ NOTICE vera :/), /Your password has been changed\./);

  const old = await scramLogin(await saslClient(fx, "127.0.0.10"), new ScramSha256Client("vera", "veras-first-password"));
  assert.equal(old.end.command, "904");
  const fresh = await scramLoginPastBackoff(fx, "127.0.0.11", "vera", "veras second password");
  assert.equal(fresh.signatureValid, true, fresh.end.raw);
  assert.equal(fresh.end.command, "903");
});

test("SCRAM-SHA-256: an authorization identity (a=) naming another account is refused, as with PLAIN", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "wes", "wess scram password", { quit: true });
  await registerAccount(fx, "xena", "xenas scram password", { quit: true });
  const c = await saslClient(fx);
  const outcome = await scramLogin(c, new ScramSha256Client("wes", "wess scram password", "xena"));
  // Logging wes in while the client asked to act as xena would be neither what it asked for nor an error it can see.
  assert.equal(outcome.end.command, "904", `expected a refusal, got ${outcome.end.raw}`);
  assert.equal(c.lines.filter((l) => / 900 /.test(l)).length, 0);
});
