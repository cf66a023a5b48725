/**
 * Small IRC protocol edges over real sockets: a ban holds its user to its nick (435), WHO's
 * `o` flag and `WHO 0`, a secret channel answered to outsiders exactly as one that does not
 * exist, repeated ISON and KICK targets folded, and 433 before registration naming `*`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange, type Line } from "../support/irc-lines.js";

async function rawJoin(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

const shown = (lines: readonly Line[]): string => lines.map((l) => l.raw).join("\n");

/** The numerics among `lines`, as "<code> <params after the client's nick>". */
const numerics = (lines: readonly Line[]): string[] => lines.filter((l) => /^\d{3}$/.test(l.command)).map((l) => [l.command, ...l.params.slice(1)].join(" "));

test("a user banned in a channel it is in may not change nick (435) nor speak there (404); voice or an exception lets it", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("bnop");
  const spammer = await fx.raw("spammer");
  await rawJoin(op, "bnop", "#bn");
  await rawJoin(spammer, "spammer", "#bn");
  await exchange(op, "MODE #bn +b spammer!*@*");

  assert.deepEqual(numerics(await exchange(spammer, "PRIVMSG #bn :still here?")), ["404 #bn Cannot send to channel"]);
  const refused = await exchange(spammer, "NICK nicefellow");
  assert.deepEqual(numerics(refused), ["435 #bn Cannot change nickname while banned on channel"], shown(refused));
  assert.ok(!refused.some((l) => l.command === "NICK"), shown(refused));
  assert.deepEqual(numerics(await exchange(spammer, "PRIVMSG #bn :evaded the ban")), ["404 #bn Cannot send to channel"], "the refused nick change let the ban be evaded");
  const heard = await exchange(op, "PING sync");
  assert.ok(!heard.some((l) => l.command === "PRIVMSG" || l.command === "NICK"), shown(heard));

  // A name refused for itself is answered as such first (as Solanum: 432/433 before 435).
  assert.deepEqual(numerics(await exchange(spammer, "NICK bnop")), ["433 bnop Nickname is already in use"]);

  // An exception lifts the ban, and with it the hold on the nick.
  await exchange(op, "MODE #bn +e spammer!*@*");
  const excepted = await exchange(spammer, "NICK excepted");
  assert.ok(excepted.some((l) => l.command === "NICK" && l.params[0] === "excepted"), shown(excepted));
  await exchange(op, "MODE #bn -e spammer!*@*");
  await exchange(op, "MODE #bn +b excepted!*@*");
  assert.deepEqual(numerics(await exchange(spammer, "NICK another")), ["435 #bn Cannot change nickname while banned on channel"]);

  // So does voice: a voiced member speaks through a ban, and may change its nick.
  await exchange(op, "MODE #bn +v excepted");
  const voiced = await exchange(spammer, "NICK voiced");
  assert.ok(voiced.some((l) => l.command === "NICK" && l.params[0] === "voiced"), shown(voiced));
});

test("WHO <nick> o lists only an operator, as WHO <mask> o does", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  await fx.raw("bobby");
  const all = await exchange(alice, "WHO bobby");
  assert.ok(all.some((l) => l.command === "352" && l.params[5] === "bobby"), shown(all));
  const operators = await exchange(alice, "WHO bobby o");
  assert.deepEqual(numerics(operators), ["315 bobby End of WHO list"], "a user who is no operator was listed by WHO <nick> o");
});

test("WHO 0 lists the users WHO * lists (RFC 2812 3.6.1)", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  const bobby = await fx.raw("bobby");
  await rawJoin(alice, "alice", "#w0");
  await rawJoin(bobby, "bobby", "#w0");
  const listed = (lines: readonly Line[]): string[] => lines.filter((l) => l.command === "352").map((l) => l.params[5]!).sort();
  const star = listed(await exchange(alice, "WHO *"));
  assert.ok(star.includes("alice") && star.includes("bobby"), star.join(" "));
  const zero = await exchange(alice, "WHO 0");
  assert.deepEqual(listed(zero), star, shown(zero));
  assert.ok(zero.some((l) => l.command === "315" && l.params[1] === "0"), shown(zero));
});

test("an outsider is answered about a secret channel exactly as about one that does not exist", async (t) => {
  const fx = await setup(t);
  const owner = await fx.raw("tA");
  const outsider = await fx.raw("tC");
  await rawJoin(owner, "tA", "#tp");
  await exchange(owner, "MODE #tp +s");
  await exchange(owner, "TOPIC #tp :secret topic");
  const commands = ["TOPIC #c", "TOPIC #c :x", "TOPIC #c :", "KICK #c tA", "KICK #c tA :reason", "PART #c", "PRIVMSG #c :hi", "NOTICE #c :hi", "MODE #c", "MODE #c +b", "MODE #c +e", "MODE #c +I", "MODE #c +m", "INVITE tC #c", "NAMES #c", "WHO #c", "LIST #c"];
  for (const command of commands) {
    const about = async (channel: string): Promise<string[]> => numerics(await exchange(outsider, command.replace("#c", channel))).map((n) => n.replace(channel, "#c"));
    assert.deepEqual(await about("#tp"), await about("#nowhere"), `${command}: the secret channel was answered otherwise than a missing one`);
  }
  const heard = await exchange(owner, "PING sync");
  assert.ok(!heard.some((l) => ["PRIVMSG", "NOTICE", "TOPIC", "KICK", "MODE"].includes(l.command)), shown(heard));
});

test("ISON and KICK fold a repeated nick, in any case, into one", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  const alice = await fx.raw("alice");
  assert.deepEqual(numerics(await exchange(op, "ISON alice ALICE nobody alice")), ["303 alice"]);
  assert.deepEqual(numerics(await exchange(op, "ISON :alice Alice")), ["303 alice"]);

  await rawJoin(op, "op", "#k");
  await rawJoin(alice, "alice", "#k");
  const kicked = await exchange(op, "KICK #k alice,ALICE,alice :out");
  assert.equal(kicked.filter((l) => l.command === "KICK").length, 1, shown(kicked));
  assert.deepEqual(numerics(kicked), [], "the repeated target was answered 441");
  await rawJoin(alice, "alice", "#k");
  const paired = await exchange(op, "KICK #k,#K alice,alice");
  assert.equal(paired.filter((l) => l.command === "KICK").length, 1, shown(paired));
  assert.deepEqual(numerics(paired), [], shown(paired));
});

test("before registration a nick in use gets 433 * <nick>, each time it is asked", async (t) => {
  const fx = await setup(t);
  await fx.raw("dupn");
  const plain = await fx.rawConnect();
  fx.track(plain);
  for (let i = 0; i < 2; i++) {
    plain.send("NICK dupn");
    assert.match(await plain.waitFor(/ 433 /), / 433 \* dupn :/);
    plain.lines.length = 0;
  }
  // The same after CAP negotiation held registration (t18): the check waits for CAP END.
  const negotiating = await fx.rawConnect();
  fx.track(negotiating);
  negotiating.send("CAP LS 302");
  negotiating.send("NICK dupn");
  negotiating.send("USER u 0 * :r");
  negotiating.send("CAP END");
  assert.match(await negotiating.waitFor(/ 433 /), / 433 \* dupn :/);
  negotiating.lines.length = 0;
  negotiating.send("NICK dupn");
  assert.match(await negotiating.waitFor(/ 433 /), / 433 \* dupn :/);
});
