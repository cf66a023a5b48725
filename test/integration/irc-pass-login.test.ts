/**
 * `PASS account:password` (Ergo's form) on a server without a server password logs in
 * clients that speak no SASL (ii, sic, old bots): a raw client sends exactly what they
 * send — PASS, NICK, USER, nothing else. It is a password login like SASL PLAIN: the
 * same clear-text rule and the same shared brute-force guard.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliUserAdd, openFixture, type AccountsFixture } from "../support/account-server.js";
import { registerAccount, connectWithPlain } from "../support/sasl.js";
import { rawSync, unconsumed } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";

const PASSWORD = "correct horse battery staple";

/** Connects the way ii does: PASS, NICK, USER; resolves once registered. */
async function passClient(fx: AccountsFixture, nick: string, pass: string, localAddress?: string): Promise<RawClient> {
  const client = await fx.rawConnect(localAddress === undefined ? {} : { localAddress });
  client.send(`PASS :${pass}`);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  await client.waitFor(/ 001 /);
  await client.waitFor(/ 366 \S+ #general /);
  return client;
}

async function whoisAccount(client: RawClient, nick: string): Promise<string | null> {
  client.send(`WHOIS ${nick}`);
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) {
    const line = await client.waitFor(/ (330|318) /);
    lines.push(line);
    if (/ 318 /.test(line)) break;
  }
  const logged = lines.find((line) => / 330 /.test(line));
  return logged ? logged.split(" ")[4]! : null;
}

test("PASS account:password before NICK/USER logs in; WHOIS shows the account", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const c = await passClient(fx, "alice", `alice:${PASSWORD}`);
  assert.equal(await whoisAccount(c, "alice"), "alice");
});

test("PASS account:password: 900 arrives before the welcome, and the nick stays (no guest rename)", async (t) => {
  const fx = await openFixture(t, { auth: { nickEnforcementSeconds: 1 } });
  await registerAccount(fx, "bob", PASSWORD, { quit: true });
  const c = await fx.rawConnect();
  c.send(`PASS :bob:${PASSWORD}`);
  c.send("NICK bob");
  c.send("USER bob 0 * :bob");
  const first = await c.waitFor(/ (900|001|NOTICE) /);
  assert.match(first, / 900 \S+ \S+ bob :You are now logged in as bob$/);
  await c.waitFor(/ 366 bob #general /);
  await new Promise((done) => setTimeout(done, 1500));
  await rawSync(c);
  assert.deepEqual(unconsumed(c, / NICK /), [], "not renamed to a guest nick");
});

test("a wrong PASS account:password: a NOTICE says so, the client registers as a guest, and a second PASS is not another guess", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "carol", PASSWORD, { quit: true });
  const c = await fx.rawConnect();
  c.send("PASS :carol:not the password");
  c.send("PASS :carol:" + PASSWORD);
  c.send("NICK someone");
  c.send("USER someone 0 * :someone");
  assert.match(await c.waitFor(/ NOTICE /), /PASS login failed: invalid account or password$/);
  await c.waitFor(/ 366 someone #general /);
  assert.equal(await whoisAccount(c, "someone"), null);
  assert.deepEqual(unconsumed(c, / 900 /), [], "the second PASS was ignored");
});

test("PASS login failures count in the shared login guard: SASL from that address is throttled after them", async (t) => {
  const fx = await openFixture(t, { auth: { bruteForce: { addressLockoutAfter: 2, lockoutSeconds: 60 } } });
  await registerAccount(fx, "dave", PASSWORD, { quit: true });
  // Two counted failures; a guess inside the (short, in tests) back-off is answered "too many" and not counted.
  let failures = 0;
  for (let i = 0; i < 20 && failures < 2; i++) {
    const c = await passClient(fx, `guesser${i}`, "dave:wrong guess", "127.0.0.5");
    const notice = c.lines.find((line) => / NOTICE /.test(line)) ?? "";
    c.close();
    assert.match(notice, /PASS login failed: (invalid account or password|too many failed attempts)/);
    if (/invalid account/.test(notice)) failures++;
    else await new Promise((done) => setTimeout(done, 50));
  }
  assert.equal(failures, 2);
  const right = await passClient(fx, "davepass", `dave:${PASSWORD}`, "127.0.0.5");
  assert.match(right.lines.join("\n"), /PASS login failed: too many failed attempts; try again in \d+ seconds/);
  assert.equal(await whoisAccount(right, "davepass"), null);
  const { result } = await connectWithPlain(fx, "dave2", "dave", PASSWORD, { localAddress: "127.0.0.5" });
  assert.equal(result.command, "904");
  // Another address that never failed logs in, once the account's short back-off (20 ms at most here) is over.
  await new Promise((done) => setTimeout(done, 100));
  const elsewhere = await passClient(fx, "daveelse", `dave:${PASSWORD}`, "127.0.0.6");
  assert.equal(await whoisAccount(elsewhere, "daveelse"), "dave");
});

test("PASS account:password without TLS is refused like SASL PLAIN when loopback is not trusted", async (t) => {
  const fx = await openFixture(t, { auth: { plaintextSaslFromLoopback: false } });
  // Made by the operator: REGISTER in clear is refused here too.
  await cliUserAdd(fx.home, "erin", PASSWORD);
  const c = await passClient(fx, "erin", `erin:${PASSWORD}`);
  assert.match(c.lines.join("\n"), /PASS login failed: a password in clear needs a TLS connection/);
  assert.equal(await whoisAccount(c, "erin"), null);
});

test("PASS account:password asking for the nick the account is online with: the connection joins that user (multiclient), no 433", async (t) => {
  const fx = await openFixture(t);
  const frank = await registerAccount(fx, "frank", PASSWORD);
  // Before: 433 at NICK, though the same login by SASL is welcomed under that nick.
  const second = await passClient(fx, "frank", `frank:${PASSWORD}`);
  assert.deepEqual(unconsumed(second, / 433 /), []);
  assert.equal(await whoisAccount(second, "frank"), "frank");
  frank.send("PRIVMSG #general :from the first connection");
  await second.waitFor(/ PRIVMSG #general :from the first connection$/);
});

test("PASS account:password asking for another user's nick: 433 names the client '*', as for a guest, and it registers under another nick", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "grace", PASSWORD);
  await registerAccount(fx, "heidi", PASSWORD, { quit: true });
  const c = await fx.rawConnect();
  c.send(`PASS :heidi:${PASSWORD}`);
  c.send("NICK grace");
  c.send("USER heidi 0 * :heidi");
  // Before: "433 grace grace": the nick it was refused given as its own.
  assert.match(await c.waitFor(/ 433 /), / 433 \* grace :/);
  c.send("NICK heidi");
  await c.waitFor(/ 001 heidi /);
});
