/**
 * ChanServ: registering a channel needs a login and operator status; INFO; DROP by
 * the founder only; a registered channel's founder gets op back, others do not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture } from "../support/account-server.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange, textOf, type Line } from "../support/irc-lines.js";
import { registerAccount } from "../support/sasl.js";

async function chanserv(client: RawClient, nick: string, text: string): Promise<string[]> {
  const lines = await exchange(client, `PRIVMSG ChanServ :${text}`);
  return lines.filter((l) => l.command === "NOTICE" && l.source.startsWith("ChanServ!") && l.params[0] === nick).map(textOf);
}

async function join(client: RawClient, nick: string, channel: string): Promise<string> {
  client.send(`JOIN ${channel}`);
  return client.waitFor(new RegExp(` 353 ${nick} [=*@] ${channel} `));
}

test("ChanServ REGISTER needs a login and channel operator status; INFO; DROP by the founder only", async (t) => {
  const fx = await openFixture(t);
  const fred = await fx.raw("fred");
  const gina = await registerAccount(fx, "gina", "ginas-password");
  await join(fred, "fred", "#room");
  await join(gina, "gina", "#room");

  assert.deepEqual(await chanserv(fred, "fred", "REGISTER #room"), ["Log in to an account first (NickServ IDENTIFY or SASL)."]);
  assert.deepEqual(await chanserv(gina, "gina", "REGISTER #room"), ["You must be an operator of #room to register it."]);
  assert.deepEqual(await chanserv(gina, "gina", "REGISTER #elsewhere"), ["Syntax: REGISTER <#channel> (a channel you are in)"]);

  fred.send("PRIVMSG NickServ :REGISTER freds-password");
  await fred.waitFor(/ 900 /);
  assert.deepEqual(await chanserv(fred, "fred", "REGISTER #room"), ["#room is registered to fred."]);
  assert.deepEqual(await chanserv(fred, "fred", "REGISTER #room"), ["#room is already registered to fred."]);

  const info = await chanserv(gina, "gina", "INFO #room");
  assert.match(info[0] ?? "", /^#room was registered by fred on \w{3}, \d{2} \w{3} \d{4} /);
  assert.deepEqual(await chanserv(gina, "gina", "INFO #nowhere"), ["#nowhere is not registered."]);

  assert.deepEqual(await chanserv(gina, "gina", "DROP #room"), ["Only the founder may drop a channel."]);
  const guest = await fx.raw("guest");
  assert.deepEqual(await chanserv(guest, "guest", "DROP #room"), ["Only the founder may drop a channel."]);
  assert.deepEqual(await chanserv(fred, "fred", "DROP #room"), ["#room is no longer registered."]);
  assert.deepEqual(await chanserv(gina, "gina", "INFO #room"), ["#room is not registered."]);
  assert.deepEqual(await chanserv(fred, "fred", "DROP #room"), ["#room is not registered."]);
});

test("a registered channel: the first to re-create it is not op unless founder; the founder joining gets op", async (t) => {
  const fx = await openFixture(t);
  const fred = await registerAccount(fx, "fred", "freds-password");
  await join(fred, "fred", "#club");
  fred.send("TOPIC #club :the club topic");
  await fred.waitFor(/ TOPIC #club /);
  assert.deepEqual(await chanserv(fred, "fred", "REGISTER #club"), ["#club is registered to fred."]);
  fred.send("PART #club");
  await fred.waitFor(/ PART #club/);

  // The channel is empty and gone; a guest re-creates it: registered, so no op for them; the topic is back.
  const guest = await fx.raw("guest");
  const names = await join(guest, "guest", "#club");
  assert.match(names, / 353 guest [=*@] #club :guest$/, "not @guest");
  assert.ok(guest.lines.some((l) => / 332 guest #club :the club topic$/.test(l)), guest.lines.join("\n"));
  // ChanServ does not let the guest take over.
  assert.deepEqual(await chanserv(guest, "guest", "REGISTER #club"), ["Log in to an account first (NickServ IDENTIFY or SASL)."]);

  const namesForFred = await join(fred, "fred", "#club");
  assert.match(namesForFred, /:(guest @fred|@fred guest)$/);
});

test("an empty registered channel keeps its key and invite-only: the join that re-creates it must pass them", async (t) => {
  const fx = await openFixture(t);
  const fred = await registerAccount(fx, "fred", "freds-password");
  for (const [channel, modes] of [
    ["#keyed", "+k sesame"],
    ["#invited", "+i"],
  ] as const) {
    await join(fred, "fred", channel);
    assert.deepEqual(await chanserv(fred, "fred", `REGISTER ${channel}`), [`${channel} is registered to fred.`]);
    fred.send(`MODE ${channel} ${modes}`);
    await fred.waitFor(new RegExp(` MODE ${channel} `));
    fred.send(`PART ${channel}`);
    await fred.waitFor(new RegExp(` PART ${channel}`));
  }
  const guest = await fx.raw("guest");
  const keyed = await exchange(guest, "JOIN #keyed");
  const invited = await exchange(guest, "JOIN #invited");
  const outcome = (lines: readonly Line[], refusal: string): string[] => lines.filter((l) => [refusal, "JOIN"].includes(l.command)).map((l) => l.command);
  assert.deepEqual(
    { keyed: outcome(keyed, "475"), invited: outcome(invited, "473") },
    { keyed: ["475"], invited: ["473"] },
    "a guest got into an empty registered channel without its key / an invitation",
  );
  // The founder still gets in (with the key) and is op.
  fred.send("JOIN #keyed sesame");
  assert.match(await fred.waitFor(/ 353 fred [=*@] #keyed /), /[ :]@fred( |$)/);
});

test("ChanServ does not show a secret channel to those outside it: REGISTER and INFO answer as for one that does not exist", async (t) => {
  const fx = await openFixture(t);
  const owner = await registerAccount(fx, "sid", "sids-password");
  const outsider = await registerAccount(fx, "otto", "ottos-password");
  await join(owner, "sid", "#hidden");
  owner.send("MODE #hidden +s");
  await owner.waitFor(/ MODE #hidden \+s/);
  assert.deepEqual(await chanserv(outsider, "otto", "REGISTER #hidden"), await chanserv(outsider, "otto", "REGISTER #nosuchchannel"));
  assert.deepEqual(await chanserv(owner, "sid", "REGISTER #hidden"), ["#hidden is registered to sid."]);
  assert.deepEqual(await chanserv(outsider, "otto", "INFO #hidden"), ["#hidden is not registered."]);
  assert.match((await chanserv(owner, "sid", "INFO #hidden"))[0] ?? "", /^#hidden was registered by sid /);
});

test("ChanServ DROP of a secret channel by one outside it answers as for a channel that is not registered; its founder still drops it", async (t) => {
  const fx = await openFixture(t);
  const owner = await registerAccount(fx, "sid", "sids-password");
  const outsider = await registerAccount(fx, "otto", "ottos-password");
  const guest = await fx.raw("guest");
  await join(owner, "sid", "#hidden");
  owner.send("MODE #hidden +s");
  await owner.waitFor(/ MODE #hidden \+s/);
  assert.deepEqual(await chanserv(owner, "sid", "REGISTER #hidden"), ["#hidden is registered to sid."]);

  const unregistered = ["#hidden is not registered."];
  assert.deepEqual(await chanserv(outsider, "otto", "DROP #hidden"), unregistered, "live and +s");
  assert.deepEqual(await chanserv(guest, "guest", "DROP #hidden"), unregistered, "live and +s, to a guest");
  owner.send("PART #hidden");
  await owner.waitFor(/ PART #hidden/);
  assert.deepEqual(await chanserv(outsider, "otto", "DROP #hidden"), unregistered, "empty, kept +s");
  // A member is told the truth.
  await join(outsider, "otto", "#hidden");
  assert.deepEqual(await chanserv(outsider, "otto", "DROP #hidden"), ["Only the founder may drop a channel."]);
  outsider.send("PART #hidden");
  await outsider.waitFor(/ PART #hidden/);
  // The founder, outside the channel, may drop it.
  assert.deepEqual(await chanserv(owner, "sid", "DROP #hidden"), ["#hidden is no longer registered."]);
});
