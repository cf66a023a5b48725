/**
 * IRCv3 MONITOR and extended-monitor, with raw clients: 730/731 on connect, quit and
 * nick change; list limits (734); C, L, S; multiclient and always-on presence;
 * AWAY/SETNAME of a watched user with extended-monitor.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { rawSync, unconsumed } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";

const PASSWORD = "correct horse battery";

async function loginAlice(fx: AccountsFixture, nick = "alice"): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, nick, "alice", PASSWORD);
  assert.match(result.raw, / 903 /);
  return client;
}

test("ISUPPORT advertises MONITOR with the configured limit, CAP LS extended-monitor", async (t) => {
  const fx = await openFixture(t, { irc: { maxMonitorEntries: 7 } });
  const client = await fx.rawConnect();
  client.send("CAP LS 302");
  assert.match(await client.waitFor(/ CAP \* LS /), /\bextended-monitor\b/);
  client.send("NICK watcher");
  client.send("USER watcher 0 * :w");
  client.send("CAP END");
  await client.waitFor(/ 005 \S+ .*\bMONITOR=7\b/);
});

test("a watched nick coming online, changing nick and quitting is reported with 730/731", async (t) => {
  const fx = await openFixture(t);
  const watcher = await fx.raw("watcher");
  watcher.send("MONITOR + bob,carol");
  assert.match(await watcher.waitFor(/ 731 /), /^:\S+ 731 watcher :?bob,carol$/);

  const bob = await fx.raw("bob");
  assert.match(await watcher.waitFor(/ 730 /), /^:\S+ 730 watcher :?bob!~bob@127\.0\.0\.1$/);

  bob.send("NICK carol");
  assert.match(await watcher.waitFor(/ 731 /), /^:\S+ 731 watcher :?bob$/);
  assert.match(await watcher.waitFor(/ 730 /), /^:\S+ 730 watcher :?carol!~bob@127\.0\.0\.1$/);
  bob.send("NICK dave");
  assert.match(await watcher.waitFor(/ 731 /), /^:\S+ 731 watcher :?carol$/);
  bob.send("NICK Bob");
  assert.match(await watcher.waitFor(/ 730 /), /730 watcher :?Bob!~bob@/);
  bob.send("NICK BOB");
  await bob.waitFor(/ NICK :?BOB$/);

  bob.send("QUIT :bye");
  assert.match(await watcher.waitFor(/ 731 /), /^:\S+ 731 watcher :?BOB$/);
  await rawSync(watcher);
  assert.deepEqual(unconsumed(watcher, / 73[01] /), [], "a case-only nick change is no presence change");
});

test("MONITOR - stops notifications; C clears; L lists; S reports status", async (t) => {
  const fx = await openFixture(t);
  const watcher = await fx.raw("watcher");
  const bob = await fx.raw("bob");
  watcher.send("MONITOR + Bob,carol,dave");
  assert.match(await watcher.waitFor(/ 730 /), /730 watcher :?bob!~bob@127\.0\.0\.1$/);
  assert.match(await watcher.waitFor(/ 731 /), /731 watcher :?carol,dave$/);

  watcher.send("MONITOR L");
  assert.match(await watcher.waitFor(/ 732 /), /732 watcher :?Bob,carol,dave$/);
  await watcher.waitFor(/ 733 watcher :End of MONITOR list$/);

  watcher.send("MONITOR - carol");
  watcher.send("MONITOR S");
  assert.match(await watcher.waitFor(/ 730 /), /730 watcher :?bob!~bob@/);
  assert.match(await watcher.waitFor(/ 731 /), /731 watcher :?dave$/);

  watcher.send("MONITOR C");
  watcher.send("MONITOR L");
  await watcher.waitFor(/ 733 watcher /);
  assert.deepEqual(unconsumed(watcher, / 732 /), []);
  bob.send("QUIT");
  await bob.closed;
  await fx.raw("carol");
  await rawSync(watcher);
  assert.deepEqual(unconsumed(watcher, / 73[01] /), [], "a cleared list hears nothing");
});

test("a full list answers 734 with the nicks left out", async (t) => {
  const fx = await openFixture(t, { irc: { maxMonitorEntries: 3 } });
  const watcher = await fx.raw("watcher");
  watcher.send("MONITOR + a1,a2");
  await watcher.waitFor(/ 731 watcher :?a1,a2$/);
  watcher.send("MONITOR + a2,a3,a4,a5");
  assert.match(await watcher.waitFor(/ 734 /), /^:\S+ 734 watcher 3 a4,a5 :Monitor list is full\.$/);
  assert.match(await watcher.waitFor(/ 731 /), /731 watcher :?a2,a3$/);
  watcher.send("MONITOR L");
  assert.match(await watcher.waitFor(/ 732 /), /732 watcher :?a1,a2,a3$/);
  watcher.send("MONITOR");
  await watcher.waitFor(/ 461 watcher MONITOR /);
  watcher.send("MONITOR +");
  await watcher.waitFor(/ 461 watcher MONITOR /);
});

test("a second connection of a multiclient user is not a new arrival; only the last one's quit is an offline", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const watcher = await fx.raw("watcher");
  watcher.send("MONITOR + alice");
  await watcher.waitFor(/ 731 watcher :?alice$/);
  const first = await loginAlice(fx);
  await watcher.waitFor(/ 730 watcher :?alice!/);
  const second = await loginAlice(fx, "alice2");
  first.send("QUIT");
  await first.closed;
  await rawSync(second);
  await rawSync(watcher);
  assert.deepEqual(unconsumed(watcher, / 73[01] /), [], "no presence change while a connection remains");
  second.send("QUIT");
  await watcher.waitFor(/ 731 watcher :?alice$/);
});

test("an always-on user stays online with no connection", async (t) => {
  const fx = await openFixture(t, { accounts: { alwaysOn: true } });
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const watcher = await fx.raw("watcher");
  const alice = await loginAlice(fx);
  watcher.send("MONITOR + alice");
  await watcher.waitFor(/ 730 watcher :?alice!/);
  alice.send("QUIT");
  await alice.closed;
  watcher.send("MONITOR S");
  await watcher.waitFor(/ 730 watcher :?alice!/);
  assert.deepEqual(unconsumed(watcher, / 731 /), []);
});

test("watch lists are per connection and end with it", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const first = await loginAlice(fx);
  const second = await loginAlice(fx);
  first.send("MONITOR + bob");
  await first.waitFor(/ 731 alice :?bob$/);
  second.send("MONITOR L");
  await second.waitFor(/ 733 /);
  assert.deepEqual(unconsumed(second, / 732 /), [], "the other connection's list is its own");
  await fx.raw("bob");
  await first.waitFor(/ 730 alice :?bob!/);
  await rawSync(second);
  assert.deepEqual(unconsumed(second, / 730 /), []);
});

test("extended-monitor: AWAY and SETNAME of a watched user who shares no channel, only with the caps", async (t) => {
  const fx = await openFixture(t);
  const bob = await fx.raw("bob", { readyChannel: "#general" });
  bob.send("PART #general");
  await bob.waitFor(/ PART #general/);
  const extended = await fx.raw("ext", { caps: ["extended-monitor", "away-notify", "setname"] });
  const plain = await fx.raw("plain", { caps: ["away-notify", "setname"] });
  const noAway = await fx.raw("noaway", { caps: ["extended-monitor"] });
  for (const client of [extended, plain, noAway]) {
    client.send("MONITOR + bob");
    await client.waitFor(/ 730 \S+ :?bob!/);
  }
  bob.send("AWAY :lunch");
  await bob.waitFor(/ 306 /);
  assert.match(await extended.waitFor(/^:bob\S* AWAY /), /^:bob!~bob@127\.0\.0\.1 AWAY :lunch$/);
  bob.send("SETNAME :Robert");
  assert.match(await extended.waitFor(/ SETNAME /), /^:bob!\S+ SETNAME :?Robert$/);
  bob.send("AWAY");
  assert.match(await extended.waitFor(/^:bob\S* AWAY/), /^:bob!\S+ AWAY$/);
  for (const client of [plain, noAway]) await rawSync(client);
  assert.deepEqual(unconsumed(plain, /^:bob!/), [], "without extended-monitor a watched user who shares no channel is not relayed");
  assert.deepEqual(unconsumed(noAway, /^:bob\S* AWAY/), [], "extended-monitor respects away-notify");

  // Sharing a channel and watching: each event once.
  bob.send("JOIN #general");
  await extended.waitFor(/^:bob!\S+ JOIN #general/);
  bob.send("AWAY :again");
  await extended.waitFor(/ AWAY :again$/);
  await plain.waitFor(/ AWAY :again$/);
  await rawSync(extended);
  assert.deepEqual(unconsumed(extended, /^:bob\S* AWAY /), [], "once, not twice");
});
