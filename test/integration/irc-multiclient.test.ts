/**
 * Multiclient, as Ergo does it: connections logged in to one account are one user —
 * one nick, one set of channels, one away state — and what one sends, the others show.
 * Driven with raw clients (exact lines) and an irc-framework client.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { rawSync, unconsumed } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";
import { hashPassword } from "../../src/auth/passwords.js";

const PASSWORD = "correct horse battery";

/** An account "alice" made through the server; the registering client quits. */
async function withAccount(fx: AccountsFixture, name = "alice"): Promise<void> {
  await registerAccount(fx, name, PASSWORD, { quit: true });
}

async function login(fx: AccountsFixture, nick: string, caps: readonly string[] = []): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, nick, "alice", PASSWORD, { caps });
  assert.match(result.raw, / 903 /);
  return client;
}

test("a second SASL connection to an online account takes its nick and channels; nobody else sees it arrive", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const bob = await fx.raw("bob");
  const first = await login(fx, "alice");
  await bob.waitFor(/^:alice!\S+ JOIN #general/);

  // Asks for another nick; gets the account's user's nick, and the user's channels.
  const second = await login(fx, "alice2");
  assert.match(await second.waitFor(/ 376 /), / 376 alice /, "welcomed as alice");
  await second.waitFor(/^:alice!\S+ JOIN #general$/);
  await second.waitFor(/ 353 alice [=*@] #general :.*\balice\b/);

  await rawSync(bob);
  assert.deepEqual(unconsumed(bob, /^:alice\S* (JOIN|QUIT|NICK)/), [], "bob saw nothing of the second connection");
  bob.send("NAMES #general");
  const names = await bob.waitFor(/ 353 bob \S #general :.*alice/);
  assert.equal(names.split(" ").filter((w) => w.replace(/^[:@+]+/, "") === "alice").length, 1, "alice is listed once");

  // What reaches the user reaches every connection.
  bob.send("PRIVMSG #general :hi all");
  await first.waitFor(/^:bob!\S+ PRIVMSG #general :hi all$/);
  await second.waitFor(/^:bob!\S+ PRIVMSG #general :hi all$/);
  bob.send("PRIVMSG alice :just you");
  await first.waitFor(/^:bob!\S+ PRIVMSG alice :just you$/);
  await second.waitFor(/^:bob!\S+ PRIVMSG alice :just you$/);

  // What one connection sends, the others show as sent by the user; the recipient gets it once.
  first.send("PRIVMSG #general :from the first");
  await second.waitFor(/^:alice!\S+ PRIVMSG #general :from the first$/);
  await bob.waitFor(/^:alice!\S+ PRIVMSG #general :from the first$/);
  second.send("PRIVMSG bob :a direct one");
  await first.waitFor(/^:alice!\S+ PRIVMSG bob :a direct one$/);
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :a direct one$/);
  await rawSync(first);
  await rawSync(bob);
  assert.deepEqual(unconsumed(first, / PRIVMSG /), [], "the sender is not sent its own message without echo-message");
  assert.deepEqual(unconsumed(bob, / PRIVMSG /), [], "bob got each message once");
});

test("JOIN, PART, NICK and AWAY on one connection apply to all and are shown on all", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const bob = await fx.raw("bob", { caps: ["away-notify"] });
  const first = await login(fx, "alice");
  const second = await login(fx, "alice");
  await bob.waitFor(/^:alice!\S+ JOIN #general/);

  first.send("JOIN #side");
  await first.waitFor(/ 366 alice #side /);
  await second.waitFor(/^:alice!\S+ JOIN #side$/);
  await second.waitFor(/ 353 alice [=*@] #side :@alice$/);
  await second.waitFor(/ 366 alice #side /);

  second.send("NICK alicia");
  await first.waitFor(/^:alice!\S+ NICK :?alicia$/);
  await second.waitFor(/^:alice!\S+ NICK :?alicia$/);
  await bob.waitFor(/^:alice!\S+ NICK :?alicia$/);

  first.send("AWAY :at lunch");
  await first.waitFor(/ 306 alicia /);
  await second.waitFor(/ 306 alicia /);
  await bob.waitFor(/^:alicia!\S+ AWAY :at lunch$/);
  second.send("AWAY");
  await second.waitFor(/ 305 alicia /);
  await first.waitFor(/ 305 alicia /);
  await bob.waitFor(/^:alicia!\S+ AWAY$/);

  second.send("PART #side");
  await first.waitFor(/^:alicia!\S+ PART #side/);
  await second.waitFor(/^:alicia!\S+ PART #side/);
  await rawSync(bob);
  assert.deepEqual(unconsumed(bob, /^:alici?a\S* (AWAY|NICK|JOIN)/), [], "bob saw each change once");
});

test("a user mode set on one connection (MODE nick +iB, -i; OPER's +o) is shown on all of them, and nobody else sees it", async (t) => {
  const fx = await openFixture(t, { irc: { operators: [{ name: "admin", passwordHash: await hashPassword("oper secret words") }] } });
  await withAccount(fx);
  const bob = await fx.raw("bob");
  const first = await login(fx, "alice");
  const second = await login(fx, "alice");

  first.send("MODE alice +iB");
  await first.waitFor(/^:alice!\S+ MODE alice :?\+iB$/);
  await second.waitFor(/^:alice!\S+ MODE alice :?\+iB$/);
  second.send("MODE alice -i");
  await second.waitFor(/^:alice!\S+ MODE alice :?-i$/);
  await first.waitFor(/^:alice!\S+ MODE alice :?-i$/);
  // The mode as it is now, asked on either connection.
  second.send("MODE alice");
  await second.waitFor(/ 221 alice :?\+B$/);

  // Operator status is the user's: every connection of it is shown it given.
  first.send("OPER admin :oper secret words");
  await first.waitFor(/ 381 alice /);
  await first.waitFor(/^:alice!\S+ MODE alice :?\+o$/);
  await second.waitFor(/^:alice!\S+ MODE alice :?\+o$/);

  // Nothing changed, nothing shown: no empty MODE on either.
  first.send("MODE alice +B");
  await rawSync(first);
  await rawSync(second);
  assert.deepEqual(unconsumed(first, / MODE alice /), []);
  assert.deepEqual(unconsumed(second, / MODE alice /), []);
  await rawSync(bob);
  assert.deepEqual(unconsumed(bob, / MODE alice /), [], "a user mode is the user's own business");
});

test("the QUIT of one connection is seen by nobody while another remains; the last one's QUIT is the user's", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const bob = await fx.raw("bob");
  const first = await login(fx, "alice");
  const second = await login(fx, "alice");
  const third = await login(fx, "alice");
  await bob.waitFor(/^:alice!\S+ JOIN #general/);

  first.send("QUIT :bye from one");
  await first.closed;
  second.send("QUIT :bye from two");
  await second.closed;
  third.send("PRIVMSG #general :still here");
  await bob.waitFor(/^:alice!\S+ PRIVMSG #general :still here$/);
  assert.deepEqual(unconsumed(bob, /QUIT/), [], "no QUIT while a connection remains");

  third.send("QUIT :last one");
  await bob.waitFor(/^:alice!\S+ QUIT :Quit: last one$/);
  bob.send("WHOIS alice");
  await bob.waitFor(/ 401 bob alice /);
});

test("WHOIS shows a multiclient user once, with its number of connections to operators", async (t) => {
  const fx = await openFixture(t, { irc: { operators: [{ name: "admin", passwordHash: await hashPassword("oper secret words") }] } });
  await withAccount(fx);
  await login(fx, "alice");
  await login(fx, "alice");
  const bob = await fx.raw("bob");
  bob.send("WHOIS alice");
  await bob.waitFor(/ 318 bob alice /);
  assert.equal(unconsumed(bob, / 311 bob alice /).length, 1, "one 311 for the user");
  assert.equal(unconsumed(bob, / 330 bob alice alice /).length, 1);
  assert.deepEqual(unconsumed(bob, / 320 /), [], "a plain user is not told how many connections");

  const oper = await fx.raw("boss");
  oper.send("OPER admin :oper secret words");
  await oper.waitFor(/ 381 boss /);
  oper.send("WHOIS alice");
  assert.match(await oper.waitFor(/ 320 boss alice /), /:is connected 2 time\(s\)$/);
  await oper.waitFor(/ 318 boss alice /);
});

test("LUSERS counts a user's second connection as the user's, not as an unknown connection", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  await login(fx, "alice");
  await login(fx, "alice");
  const bob = await fx.raw("bob");
  const unregistered = await fx.rawConnect();
  unregistered.send("NICK pending");
  await rawSync(bob);
  // What the welcome burst said is not this answer.
  bob.lines.length = 0;
  bob.send("LUSERS");
  await bob.waitFor(/ 266 bob /);
  // Before: 2 unknown (the pending connection and alice's second).
  assert.deepEqual(unconsumed(bob, / 253 bob /).map((line) => line.split(" ")[3]), ["1"]);
});

test("a guest logging in with NickServ IDENTIFY joins the account's online user: it leaves its own channels and takes the nick", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const bob = await fx.raw("bob");
  const first = await login(fx, "alice");
  first.send("JOIN #only-alice");
  await first.waitFor(/ 366 alice #only-alice /);

  const guest = await fx.raw("visitor");
  await bob.waitFor(/^:visitor!\S+ JOIN #general/);
  guest.send(`PRIVMSG NickServ :IDENTIFY alice ${PASSWORD}`);
  await guest.waitFor(/^:visitor!\S+ PART #general/);
  await guest.waitFor(/^:visitor!\S+ NICK :?alice$/);
  await guest.waitFor(/^:alice!\S+ JOIN #general$/);
  await guest.waitFor(/^:alice!\S+ JOIN #only-alice$/);
  await guest.waitFor(/ 366 alice #only-alice /);
  await bob.waitFor(/^:visitor!\S+ PART #general/);

  guest.send("PRIVMSG bob :now as alice");
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :now as alice$/);
  await first.waitFor(/^:alice!\S+ PRIVMSG bob :now as alice$/);
});

test("with multiclient off (server or account), a second login is a user of its own", async (t) => {
  const fx = await openFixture(t, { accounts: { multiclient: false } });
  await withAccount(fx);
  const first = await login(fx, "alice");
  const second = await login(fx, "alice_away");
  assert.match(await second.waitFor(/ 376 /), / 376 alice_away /);
  second.send("PRIVMSG alice :hello other me");
  await first.waitFor(/^:alice_away!\S+ PRIVMSG alice :hello other me$/);
});

test("NickServ SET MULTICLIENT OFF is kept with the account and applies to the next login", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const first = await login(fx, "alice");
  first.send("PRIVMSG NickServ :SET MULTICLIENT OFF");
  await first.waitFor(/NOTICE alice :MULTICLIENT is now OFF/);
  const second = await login(fx, "alice2");
  assert.match(await second.waitFor(/ 376 /), / 376 alice2 /);
  second.send("PRIVMSG NickServ :SET MULTICLIENT DEFAULT");
  await second.waitFor(/NOTICE alice2 :MULTICLIENT is now ON \(the server's default\)/);
  const third = await login(fx, "alice3");
  assert.match(await third.waitFor(/ 376 /), / 376 alice /, "attached to the first user again");
});

test("a labelled message to oneself with two connections: the sender gets one labelled echo (or the copy and an ACK), the other connection one copy", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const echoing = await login(fx, "alice", ["labeled-response", "batch", "echo-message"]);
  const other = await login(fx, "alice2");
  await rawSync(other);

  echoing.send("@label=me1 PRIVMSG alice :note to self");
  assert.equal(await echoing.waitFor(/label=me1/), "@label=me1 :alice!~alice@127.0.0.1 PRIVMSG alice :note to self");
  assert.equal(await other.waitFor(/ PRIVMSG alice /), ":alice!~alice@127.0.0.1 PRIVMSG alice :note to self");
  await rawSync(echoing);
  await rawSync(other);
  assert.deepEqual(unconsumed(echoing, / PRIVMSG alice /), [], "one copy for the sender");
  assert.deepEqual(unconsumed(other, / PRIVMSG alice /), [], "one copy for the other connection");

  const plain = await login(fx, "alice3", ["labeled-response", "batch"]);
  await rawSync(plain);
  plain.send("@label=me2 PRIVMSG alice :another note");
  assert.equal(await plain.waitFor(/label=me2/), "@label=me2 :cmymessage.local ACK");
  assert.equal(await plain.waitFor(/ PRIVMSG alice /), ":alice!~alice@127.0.0.1 PRIVMSG alice :another note");
  for (const c of [echoing, other]) assert.equal(await c.waitFor(/ PRIVMSG alice :another note$/), ":alice!~alice@127.0.0.1 PRIVMSG alice :another note");
  await rawSync(plain);
  assert.deepEqual(unconsumed(plain, / PRIVMSG alice /), []);
});

test("different clients on one account: irc-framework and a raw client share the user and each shows the whole conversation", async (t) => {
  const fx = await openFixture(t);
  await withAccount(fx);
  const bob = await fx.raw("bob");
  const raw = await login(fx, "alice");
  const lib = await fx.library("alice", { account: { account: "alice", password: PASSWORD } });
  assert.equal(lib.client.user.nick, "alice");

  type Privmsg = { nick: string; target: string; message: string };
  const relayed = lib.next<Privmsg>("privmsg", (m) => m.message === "typed in the raw client");
  raw.send("PRIVMSG #general :typed in the raw client");
  assert.deepEqual(await relayed.then((m) => [m.nick, m.target]), ["alice", "#general"]);

  const direct = lib.next<Privmsg>("privmsg", (m) => m.message === "to alice from bob");
  bob.send("PRIVMSG alice :to alice from bob");
  assert.equal((await direct).nick, "bob");
  await raw.waitFor(/^:bob!\S+ PRIVMSG alice :to alice from bob$/);

  lib.client.say("bob", "answered from irc-framework");
  await bob.waitFor(/^:alice!\S+ PRIVMSG bob :answered from irc-framework$/);
  await raw.waitFor(/^:alice!\S+ PRIVMSG bob :answered from irc-framework$/);
});
