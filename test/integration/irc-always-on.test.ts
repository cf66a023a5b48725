/**
 * Always-on: an account that asks for it stays in its channels with no connection,
 * across restarts, shown as away; a connection that comes back is shown what it
 * missed (unless its client fetches history itself).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { rawSync, unconsumed } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";

const PASSWORD = "correct horse battery";

async function login(fx: AccountsFixture, caps: readonly string[] = []): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps });
  assert.match(result.raw, / 903 /);
  return client;
}

/** alice, always-on, in #general and #den; bob watches #den with away-notify. */
async function alwaysOnAlice(fx: AccountsFixture): Promise<{ alice: RawClient; bob: RawClient }> {
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const alice = await login(fx);
  alice.send("PRIVMSG NickServ :SET ALWAYS-ON ON");
  await alice.waitFor(/NOTICE alice :ALWAYS-ON is now ON/);
  alice.send("JOIN #den");
  await alice.waitFor(/ 366 alice #den /);
  const bob = await fx.raw("bob", { caps: ["away-notify"] });
  bob.send("JOIN #den");
  await bob.waitFor(/ 366 bob #den /);
  return { alice, bob };
}

test("an always-on user stays in its channels after its last QUIT, shown as away, and nobody sees a QUIT", async (t) => {
  const fx = await openFixture(t);
  const { alice, bob } = await alwaysOnAlice(fx);
  alice.send("QUIT :going home");
  await alice.closed;
  await bob.waitFor(/^:alice!\S+ AWAY :.+/);
  bob.send("NAMES #den");
  await bob.waitFor(/ 353 bob \S #den :.*\balice\b/);
  bob.send("WHOIS alice");
  await bob.waitFor(/ 301 bob alice :/);
  await bob.waitFor(/ 318 bob alice /);
  assert.deepEqual(unconsumed(bob, /^:alice\S* QUIT/), []);

  // A message to the absent user is accepted (no 401) and is there when it comes back.
  bob.send("PRIVMSG alice :are you there?");
  bob.send("PRIVMSG #den :talking while alice is away");
  await rawSync(bob);
  assert.deepEqual(unconsumed(bob, / 401 /), []);

  // A client without chathistory gets the missed messages replayed, and is no longer away.
  const back = await login(fx, ["server-time", "batch"]);
  await back.waitFor(/ 366 alice #den /);
  await back.waitFor(/^@\S*time=\S+ :bob!\S+ PRIVMSG #den :talking while alice is away$/);
  await back.waitFor(/^@\S*time=\S+ :bob!\S+ PRIVMSG alice :are you there\?$/);
  await bob.waitFor(/^:alice!\S+ AWAY$/);
});

test("a client with draft/chathistory gets no replay: it fetches what it missed itself", async (t) => {
  const fx = await openFixture(t);
  const { alice, bob } = await alwaysOnAlice(fx);
  alice.send("QUIT");
  await alice.closed;
  await bob.waitFor(/^:alice!\S+ AWAY :.+/);
  bob.send("PRIVMSG #den :for the history");
  await rawSync(bob);
  const back = await login(fx, ["server-time", "batch", "message-tags", "draft/chathistory"]);
  await back.waitFor(/ 366 alice #den /);
  await rawSync(back);
  assert.deepEqual(unconsumed(back, / PRIVMSG #den /), [], "no automatic replay");
  back.send("CHATHISTORY LATEST #den * 10");
  await back.waitFor(/ PRIVMSG #den :for the history$/);
});

test("always-on survives a server restart: nick, channels and away come back, and a connection attaches to it", async (t) => {
  const fx = await openFixture(t);
  const { alice } = await alwaysOnAlice(fx);
  alice.send("QUIT");
  await alice.closed;
  await fx.restart();

  const bob = await fx.raw("bob");
  bob.send("JOIN #den");
  await bob.waitFor(/ 353 bob \S #den :.*\balice\b/);
  bob.send("WHOIS alice");
  await bob.waitFor(/ 301 bob alice :/);
  bob.send("PRIVMSG #den :after the restart");
  await rawSync(bob);

  const back = await login(fx, ["server-time"]);
  await back.waitFor(/^(@\S+ )?:alice!\S+ JOIN #den$/);
  await back.waitFor(/ PRIVMSG #den :after the restart$/);
});

test("after a restart an always-on user is back in a registered channel whose key, invite-only and limit it passed before", async (t) => {
  const fx = await openFixture(t);
  const { alice } = await alwaysOnAlice(fx);
  const founder = await registerAccount(fx, "frank", PASSWORD);
  founder.send("JOIN #vault");
  await founder.waitFor(/ 366 frank #vault /);
  founder.send("PRIVMSG ChanServ :REGISTER #vault");
  await founder.waitFor((line) => line.includes("#vault is registered to"));
  founder.send("MODE #vault +k sekrit");
  await founder.waitFor(/ MODE #vault \+k /);
  alice.send("JOIN #vault sekrit");
  await alice.waitFor(/ 366 alice #vault /);
  founder.send("MODE #vault +il 1");
  await founder.waitFor(/ MODE #vault \+il/);
  alice.send("QUIT");
  await alice.closed;
  founder.send("QUIT");
  await founder.closed;
  await fx.restart();

  // Before: the join at restore was refused (+k) and the stored membership rewritten without #vault.
  const bob = await fx.raw("bob");
  bob.send("WHOIS alice");
  const channels = await bob.waitFor(/ 319 bob alice :/);
  assert.match(channels, /#vault\b/);
});

test("SET ALWAYS-ON OFF: the next last QUIT is a real QUIT, and nothing comes back after a restart", async (t) => {
  const fx = await openFixture(t);
  const { alice, bob } = await alwaysOnAlice(fx);
  alice.send("PRIVMSG NickServ :SET ALWAYS-ON OFF");
  await alice.waitFor(/NOTICE alice :ALWAYS-ON is now OFF/);
  alice.send("QUIT :bye");
  await bob.waitFor(/^:alice!\S+ QUIT :Quit: bye$/);
  await fx.restart();
  const carol = await fx.raw("carol");
  carol.send("WHOIS alice");
  await carol.waitFor(/ 401 carol alice /);
});

test("NickServ LOGOUT ends always-on: the last QUIT is a real QUIT, and the account's next login gets its nick back", async (t) => {
  const fx = await openFixture(t);
  const { alice, bob } = await alwaysOnAlice(fx);
  alice.send("PRIVMSG NickServ :LOGOUT");
  await alice.waitFor(/ 901 /);
  alice.send("QUIT :bye");
  // Before: a guest with no connection kept the nick and #den, and the next login was alice2.
  await bob.waitFor(/^:alice!\S+ QUIT :Quit: bye$/);
  bob.send("WHOIS alice");
  await bob.waitFor(/ 401 bob alice /);
  const back = await login(fx);
  await back.waitFor(/ 900 alice alice!/);
});

for (const multiclient of [true, false]) {
  test(`NickServ DROP from one of several connections of the account is refused, so none is left a user of an account that is gone (multiclient ${multiclient ? "on" : "off"})`, async (t) => {
    const fx = await openFixture(t, { accounts: { multiclient } });
    await registerAccount(fx, "alice", PASSWORD, { quit: true });
    const first = await login(fx);
    // Without multiclient, a second login is a user of its own, under a nick of its own.
    const second = multiclient ? await login(fx) : (await connectWithPlain(fx, "alice2", "alice", PASSWORD)).client;
    first.send(`PRIVMSG NickServ :DROP ${PASSWORD}`);
    await first.waitFor(/NOTICE alice :Your account is in use on other connections/);
    second.send("QUIT :done here");
    await second.closed;
    first.send(`PRIVMSG NickServ :DROP ${PASSWORD}`);
    await first.waitFor(/NOTICE alice :The account alice has been dropped/);
  });
}
