/**
 * STATUSMSG (@#chan, +#chan), bot mode (+B, the bot tag, WHOIS 335, WHO B),
 * WALLOPS and user mode +w, away-notify on JOIN, and the account extban (a:name).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync, unconsumed } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange, parseLine } from "../support/irc-lines.js";
import { openFixture } from "../support/account-server.js";
import { registerAccount } from "../support/sasl.js";
import { hashPassword } from "../../src/auth/passwords.js";

async function join(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

async function isupport(client: RawClient): Promise<string[]> {
  return (await exchange(client, "VERSION")).filter((l) => l.command === "005").flatMap((l) => l.params.slice(1, -1));
}

let operatorHash = "";
before(async () => {
  operatorHash = await hashPassword("wallops password");
});

test("ISUPPORT advertises STATUSMSG=@+, BOT=B, EXTBAN=,a and ACCOUNTEXTBAN=a; 004 lists user modes Biow", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("tokens");
  const tokens = await isupport(c);
  for (const token of ["STATUSMSG=@+", "BOT=B", "EXTBAN=,a", "ACCOUNTEXTBAN=a"]) assert.ok(tokens.includes(token), `${token} in ${tokens.join(" ")}`);
  const c2 = await fx.rawConnect();
  c2.send("NICK myinfo");
  c2.send("USER myinfo 0 * :My Info");
  assert.match(await c2.waitFor(/ 004 /), / 004 myinfo cmymessage\.local \S+ Biow /);
});

test("STATUSMSG: PRIVMSG @#chan reaches only operators, +#chan voiced users and operators; not stored in the channel's history", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op", ["echo-message", "draft/chathistory", "batch"]);
  await join(op, "op", "#staff");
  const voiced = await fx.raw("voiced");
  await join(voiced, "voiced", "#staff");
  const regular = await fx.raw("regular");
  await join(regular, "regular", "#staff");
  const op2 = await fx.raw("optwo");
  await join(op2, "optwo", "#staff");
  op.send("MODE #staff +v voiced");
  op.send("MODE #staff +o optwo");
  await regular.waitFor(/ MODE #staff \+o optwo$/);

  // A regular member may write to the operators (as in Ergo); it gets no copy back without echo-message.
  regular.send("PRIVMSG @#staff :for the ops");
  assert.equal(await op.waitFor(/ PRIVMSG @#staff /), ":regular!~regular@127.0.0.1 PRIVMSG @#staff :for the ops");
  assert.equal(await op2.waitFor(/ PRIVMSG @#staff /), ":regular!~regular@127.0.0.1 PRIVMSG @#staff :for the ops");
  regular.send("NOTICE +#staff :for voices and ops");
  for (const c of [op, op2, voiced]) assert.equal(await c.waitFor(/ NOTICE \+#staff /), ":regular!~regular@127.0.0.1 NOTICE +#staff :for voices and ops");
  // The op's echo shows the status target.
  op.send("PRIVMSG @+#staff :lowest prefix counts");
  assert.equal(await op.waitFor(/ PRIVMSG \+#staff /), ":op!~op@127.0.0.1 PRIVMSG +#staff :lowest prefix counts");
  await voiced.waitFor(/ PRIVMSG \+#staff :lowest prefix counts$/);
  for (const c of [voiced, regular, op, op2]) await rawSync(c);
  assert.deepEqual(unconsumed(voiced, / PRIVMSG @#staff /), [], "voiced users do not get @#chan");
  assert.deepEqual(unconsumed(regular, / (PRIVMSG|NOTICE) [@+]#staff /), [], "the sender and regular members get nothing");

  // Same rules as the channel: an outsider of a +n channel gets 404; an unknown channel 403.
  const outsider = await fx.raw("outsider");
  outsider.send("PRIVMSG @#staff :let me in");
  assert.equal(await outsider.waitFor(/ 404 /), ":cmymessage.local 404 outsider @#staff :Cannot send to channel");
  outsider.send("PRIVMSG @#nowhere :hello");
  assert.equal(await outsider.waitFor(/ 403 /), ":cmymessage.local 403 outsider @#nowhere :No such channel");

  // The channel's history has the channel message and none of the status messages.
  regular.send("PRIVMSG #staff :for everyone");
  await op.waitFor(/ PRIVMSG #staff :for everyone$/);
  const history = (await exchange(op, "CHATHISTORY LATEST #staff * 10")).filter((l) => l.command === "PRIVMSG" || l.command === "NOTICE");
  assert.deepEqual(
    history.map((l) => l.params[1]),
    ["for everyone"],
  );
});

test("bot mode: MODE nick +B, 221 shows it; the bot tag on its messages and JOINs for message-tags clients only; WHOIS 335; WHO flag B", async (t) => {
  const fx = await setup(t);
  const bot = await fx.raw("robot");
  const tagged = await fx.raw("tagged", ["message-tags"]);
  const plain = await fx.raw("plain");
  bot.send("MODE robot +B");
  assert.match(await bot.waitFor(/ MODE robot /), /^:robot!~robot@127\.0\.0\.1 MODE robot :?\+B$/);
  bot.send("MODE robot");
  assert.match(await bot.waitFor(/ 221 /), /^:cmymessage\.local 221 robot :?\+B$/);

  bot.send("PRIVMSG #general :beep");
  const line = parseLine(await tagged.waitFor(/ PRIVMSG #general :beep$/));
  assert.ok(line.tags.has("bot"), line.raw);
  assert.equal(line.tags.get("bot"), "");
  assert.equal(await plain.waitFor(/ PRIVMSG #general :beep$/), ":robot!~robot@127.0.0.1 PRIVMSG #general :beep");
  await join(tagged, "tagged", "#lab");
  bot.send("JOIN #lab");
  assert.ok(parseLine(await tagged.waitFor(/:robot!\S+ JOIN #lab$/)).tags.has("bot"));

  const whois = await exchange(plain, "WHOIS robot");
  assert.deepEqual(
    whois.filter((l) => l.command === "335").map((l) => l.raw),
    [":cmymessage.local 335 plain robot :is a Bot on CmyMessage"],
  );
  const who = (await exchange(plain, "WHO #lab")).filter((l) => l.command === "352");
  assert.deepEqual(
    who.map((l) => [l.params[5], l.params[6]]),
    [
      ["tagged", "H@"],
      ["robot", "HB"],
    ],
  );

  // -B: no more tag, no 335.
  bot.send("MODE robot -B");
  await bot.waitFor(/ MODE robot :?-B$/);
  bot.send("PRIVMSG #general :human again");
  assert.equal(parseLine(await tagged.waitFor(/ PRIVMSG #general :human again$/)).tags.has("bot"), false);
  assert.deepEqual(
    (await exchange(plain, "WHOIS robot")).filter((l) => l.command === "335"),
    [],
  );
});

test("WALLOPS: an operator's text reaches users with +w (the sender too when +w), nobody else; non-operators get 481", async (t) => {
  const fx = await setup(t, { irc: { operators: [{ name: "admin", passwordHash: operatorHash }] } });
  const oper = await fx.raw("oper");
  const listener = await fx.raw("listener");
  const deaf = await fx.raw("deaf");
  listener.send("MODE listener +w");
  assert.match(await listener.waitFor(/ MODE listener /), /^:listener!~listener@127\.0\.0\.1 MODE listener :?\+w$/);

  listener.send("WALLOPS :not an operator");
  assert.equal(await listener.waitFor(/ 481 /), ":cmymessage.local 481 listener :Permission Denied- You're not an IRC operator");

  oper.send("OPER admin :wallops password");
  await oper.waitFor(/ 381 /);
  oper.send("WALLOPS :server restarts at noon");
  assert.equal(await listener.waitFor(/ WALLOPS /), ":oper!~oper@127.0.0.1 WALLOPS :server restarts at noon");
  await rawSync(oper);
  assert.deepEqual(unconsumed(oper, / WALLOPS /), [], "the sender without +w gets no copy");
  oper.send("MODE oper +w");
  await oper.waitFor(/ MODE oper :?\+w$/);
  oper.send("WALLOPS :again");
  assert.equal(await oper.waitFor(/ WALLOPS /), ":oper!~oper@127.0.0.1 WALLOPS :again");
  await listener.waitFor(/ WALLOPS :again$/);
  oper.send("WALLOPS");
  await oper.waitFor(/ 461 oper WALLOPS /);
  await rawSync(deaf);
  assert.deepEqual(unconsumed(deaf, / WALLOPS /), []);
  assert.deepEqual(unconsumed(listener, / WALLOPS /), [], "one copy each, and the 481 changed nothing");
});

test("away-notify: a user who is away when it joins is announced with AWAY right after its JOIN", async (t) => {
  const fx = await setup(t);
  const notified = await fx.raw("notified", ["away-notify"]);
  await join(notified, "notified", "#afk");
  const plain = await fx.raw("plain");
  await join(plain, "plain", "#afk");
  const fw = await fx.connect("fw"); // irc-framework asks for away-notify itself
  fw.client.join("#afk");
  await fw.waitFor("userlist", (e) => e.channel === "#afk");
  const sleeper = await fx.raw("sleeper");
  sleeper.send("AWAY :gone fishing");
  await sleeper.waitFor(/ 306 /);
  // The AWAY from the change itself went to those sharing #general; clear it from the logs.
  await notified.waitFor(/^:sleeper\S* AWAY :gone fishing$/);
  await fw.waitFor("away", (e) => e.nick === "sleeper");

  notified.lines.splice(0);
  await join(sleeper, "sleeper", "#afk");
  await rawSync(notified);
  assert.deepEqual(
    notified.lines.filter((l) => l.startsWith(":sleeper!")),
    [":sleeper!~sleeper@127.0.0.1 JOIN #afk", ":sleeper!~sleeper@127.0.0.1 AWAY :gone fishing"],
  );
  assert.equal((await fw.waitFor("away", (e) => e.nick === "sleeper")).message, "gone fishing");
  await rawSync(plain);
  assert.deepEqual(unconsumed(plain, / AWAY(?: |$)/), [], "not to clients without away-notify");
  await rawSync(sleeper);
  assert.deepEqual(unconsumed(sleeper, / AWAY(?: |$)/), [], "not to the joiner itself");

  // Someone who is not away joins without an AWAY line.
  const awake = await fx.raw("awake");
  awake.send("JOIN #afk");
  await notified.waitFor(/^:awake\S* JOIN #afk$/);
  await rawSync(notified);
  assert.deepEqual(unconsumed(notified, /^:awake\S* AWAY/), []);
});

test("account extban: +b a:name bans users logged in to that account (any case, wildcards), +e a: and +I a: exempt; guests never match", async (t) => {
  const fx = await openFixture(t);
  const op = await registerAccount(fx, "chanop", "chanops-password");
  await join(op, "chanop", "#club");
  const troll = await registerAccount(fx, "TrollAcct", "trolls-password");
  const friend = await registerAccount(fx, "friend", "friends-password");
  const guest = await fx.raw("guest");

  op.send("MODE #club +b a:trollacct");
  assert.equal(await op.waitFor(/ MODE #club \+b /), ":chanop!~chanop@127.0.0.1 MODE #club +b a:trollacct");
  troll.send("JOIN #club");
  assert.equal(await troll.waitFor(/ 474 /), ":cmymessage.local 474 TrollAcct #club :Cannot join channel (+b)");
  // A guest with a similar nick is not banned: the entry is about accounts.
  const lookalike = await fx.raw("trollacct2");
  await join(lookalike, "trollacct2", "#club");
  await join(guest, "guest", "#club");

  // A wildcard account ban, and an exception for one account.
  op.send("MODE #club +b a:f*");
  op.send("MODE #club +e a:FRIEND");
  await op.waitFor(/ MODE #club \+e a:FRIEND$/);
  await join(friend, "friend", "#club");

  const bans = (await exchange(op, "MODE #club +b")).filter((l) => l.command === "367").map((l) => l.params[2]);
  assert.deepEqual(bans, ["a:trollacct", "a:f*"]);

  // Invite-only with an account invite exception.
  op.send("MODE #club +i");
  op.send("MODE #club +I a:trollacct");
  op.send("MODE #club -b a:trollacct");
  await op.waitFor(/ MODE #club -b a:trollacct$/);
  await join(troll, "TrollAcct", "#club");
  const other = await fx.raw("other");
  other.send("JOIN #club");
  await other.waitFor(/ 473 other #club /);

  // "a:" alone is not a mask.
  op.send("MODE #club +b a:");
  assert.equal(await op.waitFor(/ 696 /), ":cmymessage.local 696 chanop #club b a: :Missing or invalid parameter");
  // Ordinary masks work as before.
  op.send("MODE #club +b guest");
  await op.waitFor(/ MODE #club \+b guest!\*@\*$/);
});
