import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync } from "../support/fixture.js";
import type { FrameworkClient } from "../support/framework-client.js";

/** Messages from `from` this client has received and not yet consumed. */
function privmsgsFrom(client: FrameworkClient, from: string) {
  return client.events("privmsg").filter((event) => event.nick === from);
}

test("broadcast: one PRIVMSG to #general reaches each of 19 other clients exactly once, and not the sender", async (t) => {
  const fx = await setup(t, { limits: { connectionsPerIp: 64 } });
  const nicks = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, "0")}`);
  const clients = await fx.connectMany(nicks);
  const [sender, ...others] = clients as [FrameworkClient, ...FrameworkClient[]];

  // Everyone is in #general (the server's auto-join) with everyone else.
  sender.client.raw("NAMES", "#general");
  const names = await sender.waitFor("userlist", (e) => e.channel === "#general");
  assert.deepEqual(names.users.map((u) => u.nick).sort(), nicks);

  sender.client.say("#general", "hello everyone");
  const received = await Promise.all(others.map((c) => c.waitFor("privmsg", (e) => e.message === "hello everyone")));
  for (const event of received) {
    assert.equal(event.nick, "user00");
    assert.equal(event.target, "#general");
  }
  // After a round trip each, nobody has a second copy and the sender has none.
  await Promise.all(clients.map((c) => c.sync()));
  for (const client of others) assert.equal(privmsgsFrom(client, "user00").length, 0, `${client.nick} got a duplicate`);
  assert.equal(privmsgsFrom(sender, "user00").length, 0, "the sender got its own message without echo-message");
});

test("broadcast with echo-message: the sender gets its own message back once, with the same msgid as the others", async (t) => {
  const fx = await setup(t);
  const echoer = await fx.connect("echoer", { echo: true });
  const [a, b] = await fx.connectMany(["alpha", "bravo"]);
  assert.ok(echoer.client.network.cap.isEnabled("echo-message"));

  echoer.client.say("#general", "echo me");
  const [own, atA, atB] = await Promise.all([
    echoer.waitFor("privmsg", (e) => e.message === "echo me"),
    a!.waitFor("privmsg", (e) => e.message === "echo me"),
    b!.waitFor("privmsg", (e) => e.message === "echo me"),
  ]);
  assert.equal(own.nick, "echoer");
  assert.equal(own.target, "#general");
  assert.ok(own.tags.msgid, "the echo carries a msgid");
  assert.equal(own.tags.msgid, atA.tags.msgid);
  assert.equal(own.tags.msgid, atB.tags.msgid);
  await Promise.all([echoer, a!, b!].map((c) => c.sync()));
  assert.equal(privmsgsFrom(echoer, "echoer").length, 0, "echoed exactly once");
});

test("a burst of 50 messages arrives in order: to another user and to a channel", async (t) => {
  const fx = await setup(t);
  const [sender, receiver, watcher] = (await fx.connectMany(["burster", "catcher", "watcher"])) as [FrameworkClient, FrameworkClient, FrameworkClient];
  const texts = Array.from({ length: 50 }, (_, i) => `message number ${i}`);
  for (const text of texts) sender.client.say("catcher", text);
  for (const text of texts) sender.client.say("#general", `chan ${text}`);

  const direct: string[] = [];
  for (let i = 0; i < texts.length; i++) direct.push((await receiver.waitFor("privmsg", (e) => e.target === "catcher")).message);
  assert.deepEqual(direct, texts);

  const inChannel: string[] = [];
  for (let i = 0; i < texts.length; i++) inChannel.push((await watcher.waitFor("privmsg", (e) => e.target === "#general")).message);
  assert.deepEqual(
    inChannel,
    texts.map((text) => `chan ${text}`),
  );
  await watcher.sync();
  assert.equal(watcher.events("privmsg").filter((e) => e.target === "catcher").length, 0, "a private message leaked to a third user");
});

test("direct messages between two users; the sender is not echoed", async (t) => {
  const fx = await setup(t);
  const [alice, bob] = (await fx.connectMany(["alice", "bob"])) as [FrameworkClient, FrameworkClient];
  alice.client.say("bob", "hi bob");
  const atBob = await bob.waitFor("privmsg", (e) => e.nick === "alice");
  assert.equal(atBob.target, "bob");
  assert.equal(atBob.message, "hi bob");
  assert.equal(atBob.ident, "~alice");
  assert.equal(atBob.hostname, "127.0.0.1");

  bob.client.say("alice", "hi alice");
  const atAlice = await alice.waitFor("privmsg", (e) => e.nick === "bob");
  assert.equal(atAlice.message, "hi alice");

  // A NOTICE travels the same way.
  alice.client.notice("bob", "a notice");
  const notice = await bob.waitFor("notice", (e) => e.nick === "alice");
  assert.equal(notice.message, "a notice");
  assert.equal(notice.target, "bob");

  await Promise.all([alice.sync(), bob.sync()]);
  assert.equal(privmsgsFrom(alice, "alice").length, 0);
  assert.equal(privmsgsFrom(bob, "bob").length, 0);
});

test("PRIVMSG to an unknown nick gets 401; NOTICE to one gets no error at all", async (t) => {
  const fx = await setup(t);
  const alice = await fx.connect("alice");
  alice.client.say("nobody", "hello?");
  const error = await alice.waitFor("irc error", (e) => e.error === "no_such_nick");
  assert.equal(error.nick, "nobody");
  assert.match(await alice.waitRaw(/ 401 /), /^:cmymessage\.local 401 alice nobody :No such nick\/channel$/);

  const raw = await fx.raw("rawuser");
  raw.send("NOTICE nobody :hello?");
  raw.send("PRIVMSG");
  raw.send("PRIVMSG rawuser");
  await rawSync(raw);
  assert.equal(raw.lines.filter((l) => / 401 /.test(l)).length, 0, "NOTICE must never be answered with an error");
  assert.match(await raw.waitFor(/ 411 /), / 411 rawuser :No recipient given \(PRIVMSG\)$/);
  assert.match(await raw.waitFor(/ 412 /), / 412 rawuser :No text to send$/);
});

test("AWAY: 306 when set, RPL_AWAY (301) to whoever messages the away user, 305 when back", async (t) => {
  const fx = await setup(t);
  const [alice, bob] = (await fx.connectMany(["alice", "bob"])) as [FrameworkClient, FrameworkClient];
  bob.client.raw("AWAY", "gone fishing");
  assert.match(await bob.waitRaw(/ 306 /), /^:cmymessage\.local 306 bob :You have been marked as being away$/);

  alice.client.say("bob", "are you there?");
  const away = await alice.waitFor("away", (e) => e.nick === "bob");
  assert.equal(away.message, "gone fishing");
  assert.match(await alice.waitRaw(/ 301 /), /^:cmymessage\.local 301 alice bob :gone fishing$/);
  // The message is still delivered.
  assert.equal((await bob.waitFor("privmsg", (e) => e.nick === "alice")).message, "are you there?");

  // NOTICE to an away user gets no 301.
  alice.client.notice("bob", "fyi");
  await bob.waitFor("notice", (e) => e.nick === "alice");
  await alice.sync();
  assert.equal(alice.raw.filter((l) => / 301 /.test(l)).length, 0);

  bob.client.raw("AWAY");
  assert.match(await bob.waitRaw(/ 305 /), /^:cmymessage\.local 305 bob :You are no longer marked as being away$/);
  alice.client.say("bob", "back?");
  await bob.waitFor("privmsg", (e) => e.message === "back?");
  await alice.sync();
  assert.equal(alice.raw.filter((l) => / 301 /.test(l)).length, 0, "no 301 once back");
});

test("NICK change is seen once by each user sharing a channel (even two channels), and by the user itself", async (t) => {
  const fx = await setup(t);
  const [alice, bob, carol] = (await fx.connectMany(["alice", "bob", "carol"])) as [FrameworkClient, FrameworkClient, FrameworkClient];
  const loner = await fx.connect("loner", { readyChannel: null });
  // alice and bob share #general and #second; loner shares nothing with alice.
  loner.client.raw("PART", "#general");
  await loner.waitFor("part", (e) => e.nick === "loner");
  alice.client.join("#second");
  await alice.waitFor("userlist", (e) => e.channel === "#second");
  bob.client.join("#second");
  await bob.waitFor("userlist", (e) => e.channel === "#second");

  alice.client.changeNick("alicia");
  for (const client of [alice, bob, carol]) {
    const event = await client.waitFor("nick", (e) => e.nick === "alice");
    assert.equal(event.new_nick, "alicia");
    assert.equal(event.ident, "~alice");
  }
  await Promise.all([alice, bob, carol, loner].map((c) => c.sync()));
  for (const client of [alice, bob, carol]) assert.equal(client.events("nick").length, 0, `${client.nick} saw the change twice`);
  assert.equal(loner.events("nick").length, 0, "a user sharing no channel is not told");
  assert.equal(alice.client.user.nick, "alicia");

  // The new nick is live: messages to it arrive, the old one is gone.
  bob.client.say("alicia", "new name?");
  assert.equal((await alice.waitFor("privmsg", (e) => e.nick === "bob")).target, "alicia");
  bob.client.say("alice", "old name?");
  await bob.waitFor("irc error", (e) => e.error === "no_such_nick" && e.nick === "alice");
});

test("NICK collision gets 433, also when only the case differs", async (t) => {
  const fx = await setup(t);
  const [bigBob, carol] = (await fx.connectMany(["Bob", "carol"])) as [FrameworkClient, FrameworkClient];
  carol.client.changeNick("Bob");
  const inUse = await carol.waitFor("nick in use");
  assert.equal(inUse.nick, "Bob");
  assert.match(await carol.waitRaw(/ 433 /), /^:cmymessage\.local 433 carol Bob :Nickname is already in use$/);

  carol.client.changeNick("bob");
  assert.match(await carol.waitRaw(/ 433 /), / 433 carol bob :Nickname is already in use$/);
  carol.client.changeNick("BOB");
  assert.match(await carol.waitRaw(/ 433 /), / 433 carol BOB :Nickname is already in use$/);
  await carol.sync();
  assert.equal(carol.client.user.nick, "carol");
  assert.equal(bigBob.events("nick").length, 0);

  // A fresh connection cannot register as "bob" either.
  const raw = await fx.rawConnect();
  raw.send("NICK bob");
  assert.match(await raw.waitFor(/ 433 /), / 433 \* bob :Nickname is already in use$/);

  // Bob may change the case of his own nick.
  bigBob.client.changeNick("BOB");
  const own = await carol.waitFor("nick", (e) => e.nick === "Bob");
  assert.equal(own.new_nick, "BOB");

  // Invalid nicks get 432.
  carol.client.changeNick("9lives");
  assert.match(await carol.waitRaw(/ 432 /), / 432 carol 9lives :Erroneous nickname$/);
});

test("QUIT is seen once by everyone sharing a channel, with the reason", async (t) => {
  const fx = await setup(t);
  const [leaver, stay1, stay2] = (await fx.connectMany(["leaver", "stay1", "stay2"])) as [FrameworkClient, FrameworkClient, FrameworkClient];
  leaver.client.join("#extra");
  await leaver.waitFor("userlist", (e) => e.channel === "#extra");
  stay1.client.join("#extra");
  await stay1.waitFor("userlist", (e) => e.channel === "#extra");
  leaver.client.quit("see you");
  for (const client of [stay1, stay2]) {
    const quit = await client.waitFor("quit", (e) => e.nick === "leaver");
    assert.equal(quit.message, "Quit: see you");
  }
  await Promise.all([stay1.sync(), stay2.sync()]);
  assert.equal(stay1.events("quit").length, 0, "QUIT delivered once despite two shared channels");
  await leaver.closed;
});
