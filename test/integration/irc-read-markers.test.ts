/**
 * IRCv3 read-marker (draft/read-marker): MARKREAD get and set, forward only, shared by
 * every connection of the account, sent after each JOIN before RPL_ENDOFNAMES, kept
 * across a restart; guests and bad input get FAIL. Raw clients, exact lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, type AccountsFixture } from "../support/account-server.js";
import { rawSync, unconsumed } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";

const PASSWORD = "correct horse battery";
const CAP = "draft/read-marker";
const T1 = "2026-01-04T14:33:26.123Z";
const T2 = "2026-01-04T15:00:00.000Z";

async function login(fx: AccountsFixture, nick: string, caps: readonly string[] = [CAP]): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, nick, "alice", PASSWORD, { caps });
  assert.match(result.raw, / 903 /);
  // The auto-join's marker.
  if (caps.includes(CAP)) await client.waitFor(/ MARKREAD #general /);
  return client;
}

/** The first of MARKREAD <channel> and 366 <channel> (in arrival order) must be MARKREAD; returns its value. */
async function markerBeforeEndOfNames(client: RawClient, channel: string): Promise<string> {
  const first = await client.waitFor((line) => line.includes(` MARKREAD ${channel} `) || new RegExp(` 366 \\S+ ${channel} `).test(line));
  assert.match(first, / MARKREAD /, `MARKREAD ${channel} comes before RPL_ENDOFNAMES`);
  await client.waitFor(new RegExp(` 366 \\S+ ${channel} `));
  return first.slice(first.indexOf(` MARKREAD ${channel} `) + ` MARKREAD ${channel} `.length);
}

test("CAP LS offers draft/read-marker", async (t) => {
  const fx = await openFixture(t);
  const client = await fx.rawConnect();
  client.send("CAP LS 302");
  assert.match(await client.waitFor(/ CAP \* LS /), /\bdraft\/read-marker\b/);
});

test("a marker set on one connection reaches the account's other connection; it never moves back", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const first = await login(fx, "alice");
  const second = await login(fx, "alice");
  const plain = await login(fx, "alice", []);

  first.send(`MARKREAD #general timestamp=${T2}`);
  assert.match(await first.waitFor(/ MARKREAD #general /), new RegExp(`^:\\S+ MARKREAD #general timestamp=${T2}$`));
  assert.match(await second.waitFor(/ MARKREAD #general /), new RegExp(`^:\\S+ MARKREAD #general timestamp=${T2}$`));

  // Older than the stored marker: answered with the stored one, nobody else hears anything.
  second.send(`MARKREAD #general timestamp=${T1}`);
  assert.match(await second.waitFor(/ MARKREAD #general /), new RegExp(`MARKREAD #general timestamp=${T2}$`));
  await rawSync(first);
  assert.deepEqual(unconsumed(first, / MARKREAD /), [], "a refused move is not broadcast");

  first.send("MARKREAD #GENERAL");
  assert.match(await first.waitFor(/ MARKREAD /), new RegExp(`MARKREAD #GENERAL timestamp=${T2}$`), "get: channel names fold");
  await rawSync(plain);
  assert.deepEqual(unconsumed(plain, / MARKREAD /), [], "a connection without the cap is not sent MARKREAD");
});

test("without multiclient, every user of the account still hears of a moved marker", async (t) => {
  const fx = await openFixture(t, { accounts: { multiclient: false } });
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const first = await login(fx, "alice");
  const second = await login(fx, "alice_phone");
  first.send(`MARKREAD #general timestamp=${T1}`);
  await first.waitFor(/ MARKREAD #general timestamp=/);
  assert.match(await second.waitFor(/ MARKREAD #general /), new RegExp(`timestamp=${T1}$`));
});

test("each JOIN carries the channel's marker before RPL_ENDOFNAMES, also the JOINs replayed to a new connection", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const { client: first } = await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps: [CAP] });
  // connectWithPlain consumed the 366 of #general; the marker came before it.
  assert.match(await first.waitFor(/ MARKREAD #general /), /MARKREAD #general \*$/);

  first.send("JOIN #side");
  assert.equal(await markerBeforeEndOfNames(first, "#side"), "*");
  first.send(`MARKREAD #side timestamp=${T1}`);
  await first.waitFor(/ MARKREAD #side timestamp=/);
  first.send("PART #side");
  await first.waitFor(/ PART #side/);
  first.send("JOIN #side");
  assert.equal(await markerBeforeEndOfNames(first, "#side"), `timestamp=${T1}`);

  // A second connection attaches: the user's channels are replayed to it, each with its marker.
  const second = await fx.rawConnect();
  second.send("CAP LS 302");
  second.send(`CAP REQ :sasl ${CAP}`);
  second.send("NICK alice2");
  second.send("USER alice2 0 * :x");
  await second.waitFor(/ CAP \S+ ACK /);
  const { saslPlain } = await import("../support/sasl.js");
  await saslPlain(second, "alice", PASSWORD);
  second.send("CAP END");
  assert.equal(await markerBeforeEndOfNames(second, "#side"), `timestamp=${T1}`);

  // A JOIN through one connection reaches the other with the marker too.
  first.send("JOIN #third");
  await first.waitFor(/ 366 alice #third /);
  assert.equal(await markerBeforeEndOfNames(second, "#third"), "*");
});

test("a marker outlives a restart", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const first = await login(fx, "alice");
  first.send(`MARKREAD #general timestamp=${T1}`);
  await first.waitFor(/ MARKREAD #general timestamp=/);
  first.send(`MARKREAD Bob timestamp=${T2}`);
  await first.waitFor(/ MARKREAD Bob timestamp=/);

  await fx.restart();
  const { client } = await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps: [CAP] });
  assert.match(await client.waitFor(/ MARKREAD #general /), new RegExp(`timestamp=${T1}$`));
  client.send("MARKREAD bob");
  assert.match(await client.waitFor(/ MARKREAD bob /), new RegExp(`MARKREAD bob timestamp=${T2}$`), "a nick target folds too");
  client.send("MARKREAD #nowhere");
  assert.match(await client.waitFor(/ MARKREAD #nowhere /), /MARKREAD #nowhere \*$/);
});

test("a direct conversation is kept under the other party's account, whatever nick it uses", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  await registerAccount(fx, "robert", PASSWORD, { quit: true });
  const { client: robert } = await connectWithPlain(fx, "bobby", "robert", PASSWORD);
  const alice = await login(fx, "alice");
  alice.send(`MARKREAD bobby timestamp=${T1}`);
  await alice.waitFor(/ MARKREAD bobby timestamp=/);
  robert.send("QUIT");
  await robert.closed;
  alice.send("MARKREAD Robert");
  assert.match(await alice.waitFor(/ MARKREAD Robert /), new RegExp(`timestamp=${T1}$`));
});

test("guests, unregistered connections and bad input get FAIL MARKREAD", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const early = await fx.rawConnect();
  early.send("MARKREAD #general");
  assert.match(await early.waitFor(/ FAIL /), /^:\S+ FAIL MARKREAD NEED_REGISTRATION :/);

  const guest = await fx.raw("guest", { caps: [CAP] });
  guest.send(`MARKREAD #general timestamp=${T1}`);
  assert.match(await guest.waitFor(/ FAIL /), /^:\S+ FAIL MARKREAD ACCOUNT_REQUIRED #general :/);
  guest.send("JOIN #guests");
  assert.equal(await markerBeforeEndOfNames(guest, "#guests"), "*", "a guest with the cap still gets MARKREAD after JOIN");

  const alice = await login(fx, "alice");
  alice.send("MARKREAD");
  assert.match(await alice.waitFor(/ FAIL /), /FAIL MARKREAD NEED_MORE_PARAMS :/);
  for (const bad of ["timestamp=yesterday", "2026-01-04T14:33:26.123Z", "timestamp=2026-13-40T99:00:00.000Z", "*"]) {
    alice.send(`MARKREAD #general ${bad}`);
    assert.match(await alice.waitFor(/ FAIL /), /FAIL MARKREAD INVALID_PARAMS /, bad);
  }
  alice.send(`MARKREAD bad,target timestamp=${T1}`);
  assert.match(await alice.waitFor(/ FAIL /), /FAIL MARKREAD INVALID_PARAMS bad,target :/);
  alice.send("MARKREAD #general");
  assert.match(await alice.waitFor(/ MARKREAD #general /), /MARKREAD #general \*$/, "nothing was stored");
});

forEachDatabase("read markers per account", (kind) => {
  test("an account keeps at most chat.maxReadMarkersPerAccount markers: past it, the least recently moved are forgotten", async (t) => {
    const fx = await openFixture(t, { chat: { maxReadMarkersPerAccount: 10 } }, { kind });
    await registerAccount(fx, "alice", PASSWORD, { quit: true });
    const client = await login(fx, "alice");
    // #general has one from the auto-join? Only if set; these twelve are each newer than the last.
    for (let i = 0; i < 12; i++) {
      const time = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
      client.send(`MARKREAD #junk${i} timestamp=${time}`);
      await client.waitFor(new RegExp(` MARKREAD #junk${i} `));
    }
    client.send("MARKREAD #junk0");
    assert.match(await client.waitFor(/ MARKREAD #junk0 /), / MARKREAD #junk0 \*$/, "the oldest was forgotten");
    client.send("MARKREAD #junk11");
    assert.match(await client.waitFor(/ MARKREAD #junk11 /), / MARKREAD #junk11 timestamp=2026-01-01T00:11:00.000Z$/);
    // What the next login loads is bounded too.
    const again = await login(fx, "alice");
    again.send("MARKREAD #junk1");
    assert.match(await again.waitFor(/ MARKREAD #junk1 /), / MARKREAD #junk1 \*$/);
    again.send("MARKREAD #junk2");
    assert.match(await again.waitFor(/ MARKREAD #junk2 /), / MARKREAD #junk2 timestamp=/);
  });
});
