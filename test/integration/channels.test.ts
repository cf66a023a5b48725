import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync } from "../support/fixture.js";
import type { FrameworkClient } from "../support/framework-client.js";

async function joinAndWait(client: FrameworkClient, channel: string, key?: string): Promise<void> {
  client.client.join(channel, key);
  await client.waitFor("userlist", (e) => e.channel.toLowerCase() === channel.toLowerCase());
}

function nicksOf(users: ReadonlyArray<{ nick: string; modes: string[] }>): string[] {
  return users.map((u) => (u.modes.includes("o") ? "@" : u.modes.includes("v") ? "+" : "") + u.nick).sort();
}

test("JOIN creates a channel with its creator as op; others see JOIN, PART (with reason) and JOIN 0", async (t) => {
  const fx = await setup(t);
  const [alice, bob] = (await fx.connectMany(["alice", "bob"])) as [FrameworkClient, FrameworkClient];

  alice.client.join("#room");
  const own = await alice.waitFor("join", (e) => e.channel === "#room");
  assert.equal(own.nick, "alice");
  assert.deepEqual(nicksOf((await alice.waitFor("userlist", (e) => e.channel === "#room")).users), ["@alice"]);

  bob.client.join("#room");
  const seen = await alice.waitFor("join", (e) => e.channel === "#room");
  assert.equal(seen.nick, "bob");
  assert.equal(seen.ident, "~bob");
  assert.equal(seen.hostname, "127.0.0.1");
  assert.deepEqual(nicksOf((await bob.waitFor("userlist", (e) => e.channel === "#room")).users), ["@alice", "bob"]);

  // Joining again changes nothing and sends nothing.
  bob.client.join("#room");
  await bob.sync();
  assert.equal(bob.events("join").filter((e) => e.channel === "#room").length, 1);
  await alice.sync();
  assert.equal(alice.events("join").filter((e) => e.channel === "#room").length, 0);

  bob.client.part("#room", "bye for now");
  const part = await alice.waitFor("part", (e) => e.nick === "bob");
  assert.equal(part.channel, "#room");
  assert.equal(part.message, "bye for now");
  assert.equal((await bob.waitFor("part", (e) => e.nick === "bob")).channel, "#room");

  // JOIN with a list, then JOIN 0 leaves every channel.
  bob.client.raw("JOIN", "#room,#other");
  await bob.waitFor("userlist", (e) => e.channel === "#room");
  await bob.waitFor("userlist", (e) => e.channel === "#other");
  await alice.waitFor("join", (e) => e.nick === "bob" && e.channel === "#room");
  bob.client.raw("JOIN", "0");
  const parts = await Promise.all(["#general", "#room", "#other"].map((c) => bob.waitFor("part", (e) => e.nick === "bob" && e.channel === c)));
  assert.ok(parts.every((p) => p.message === "Left all channels"));
  const seenPart = await alice.waitFor("part", (e) => e.nick === "bob" && e.channel === "#room");
  assert.equal(seenPart.message, "Left all channels");

  alice.client.raw("NAMES", "#room");
  assert.deepEqual(nicksOf((await alice.waitFor("userlist", (e) => e.channel === "#room")).users), ["@alice"]);
  // #other lost its only member and no longer exists.
  alice.client.raw("LIST");
  await alice.waitRaw(/ 323 /);
  assert.equal(alice.raw.filter((l) => / 322 alice #other /.test(l)).length, 0);
});

test("PART errors: 403 for a channel that does not exist, 442 for one you are not on, 461 without a channel", async (t) => {
  const fx = await setup(t);
  const owner = await fx.raw("owner");
  owner.send("JOIN #mine");
  await owner.waitFor(/ 366 owner #mine /);
  const raw = await fx.raw("rawuser");
  raw.send("PART #nowhere");
  assert.match(await raw.waitFor(/ 403 /), /^:cmymessage\.local 403 rawuser #nowhere :No such channel$/);
  raw.send("PART #mine");
  assert.match(await raw.waitFor(/ 442 /), /^:cmymessage\.local 442 rawuser #mine :You're not on that channel$/);
  raw.send("PART");
  assert.match(await raw.waitFor(/ 461 /), /^:cmymessage\.local 461 rawuser PART :Not enough parameters$/);
  raw.send("JOIN");
  assert.match(await raw.waitFor(/ 461 /), / 461 rawuser JOIN :Not enough parameters$/);
  raw.send("JOIN nohash");
  assert.match(await raw.waitFor(/ 476 /), / 476 rawuser nohash :Bad Channel Mask$/);
});

test("TOPIC: 331 when unset, set by an op and seen by all, 332/333 on query and on join, 482 under +t, clearing", async (t) => {
  const fx = await setup(t);
  const [alice, bob] = (await fx.connectMany(["alice", "bob"])) as [FrameworkClient, FrameworkClient];
  await joinAndWait(alice, "#topic");
  await joinAndWait(bob, "#topic");

  bob.client.raw("TOPIC", "#topic");
  assert.match(await bob.waitRaw(/ 331 /), /^:cmymessage\.local 331 bob #topic :No topic is set$/);

  const before = Math.floor(Date.now() / 1000);
  alice.client.setTopic("#topic", "Hello world: the topic");
  for (const client of [alice, bob]) {
    const event = await client.waitFor("topic", (e) => e.nick === "alice");
    assert.equal(event.channel, "#topic");
    assert.equal(event.topic, "Hello world: the topic");
  }

  bob.client.raw("TOPIC", "#topic");
  assert.match(await bob.waitRaw(/ 332 /), /^:cmymessage\.local 332 bob #topic :Hello world: the topic$/);
  const whoTime = await bob.waitRaw(/ 333 /);
  const match = /^:cmymessage\.local 333 bob #topic alice!~alice@127\.0\.0\.1 :?(\d+)$/.exec(whoTime);
  assert.ok(match, whoTime);
  const setAt = Number(match[1]);
  assert.ok(setAt >= before && setAt <= Math.floor(Date.now() / 1000) + 1, `topic time ${setAt}`);

  // A new member gets 332 and 333 with the join.
  const carol = await fx.raw("carol");
  carol.send("JOIN #topic");
  assert.match(await carol.waitFor(/ 332 /), / 332 carol #topic :Hello world: the topic$/);
  assert.match(await carol.waitFor(/ 333 /), / 333 carol #topic alice!~alice@127\.0\.0\.1 :?\d+$/);

  // +t (the default) keeps non-ops from setting it.
  bob.client.setTopic("#topic", "bob was here");
  assert.match(await bob.waitRaw(/ 482 /), /^:cmymessage\.local 482 bob #topic :You're not channel operator$/);

  // Without +t anyone on the channel may.
  alice.client.mode("#topic", "-t");
  await bob.waitFor("mode", (e) => e.target === "#topic" && e.raw_modes === "-t");
  bob.client.setTopic("#topic", "bob was here");
  assert.equal((await alice.waitFor("topic", (e) => e.nick === "bob")).topic, "bob was here");

  // Outsiders may not; unknown channels are 403.
  carol.send("PART #topic");
  await carol.waitFor(/ PART :?#topic$/);
  carol.send("TOPIC #topic :from outside");
  assert.match(await carol.waitFor(/ 442 /), / 442 carol #topic :You're not on that channel$/);
  carol.send("TOPIC #nope");
  assert.match(await carol.waitFor(/ 403 /), / 403 carol #nope :No such channel$/);

  // An empty topic clears it.
  alice.client.raw("TOPIC #topic :");
  const cleared = await bob.waitFor("topic", (e) => e.nick === "alice");
  assert.equal(cleared.topic, "");
  bob.client.raw("TOPIC", "#topic");
  await bob.waitRaw(/ 331 bob #topic /);
});

test("NAMES lists members with their prefix, exact bytes for a plain client", async (t) => {
  const fx = await setup(t);
  const owner = await fx.raw("owner");
  const member = await fx.raw("member");
  owner.send("JOIN #names");
  await owner.waitFor(/ 366 owner #names /);
  member.send("JOIN #names");
  await member.waitFor(/ 366 member #names /);
  owner.send("MODE #names +v member");
  await member.waitFor(/ MODE #names \+v member$/);

  const viewer = await fx.raw("viewer");
  viewer.send("NAMES #names");
  assert.match(await viewer.waitFor(/ 353 viewer = #names /), /^:cmymessage\.local 353 viewer = #names :@owner \+member$/);
  assert.match(await viewer.waitFor(/ 366 viewer #names /), /^:cmymessage\.local 366 viewer #names :End of \/NAMES list\.$/);

  // A secret channel the viewer is not in answers exactly as one that does not exist: the name as asked.
  owner.send("JOIN #Hidden");
  await owner.waitFor(/ 366 owner #Hidden /);
  owner.send("MODE #Hidden +s");
  await owner.waitFor(/ MODE #Hidden \+s/);
  viewer.send("NAMES #hidden");
  assert.match(await viewer.waitFor(/ 366 viewer #hidden /i), / 366 viewer #hidden :End of \/NAMES list\.$/);

  viewer.send("NAMES #missing");
  assert.match(await viewer.waitFor(/ 366 viewer #missing /), / 366 viewer #missing :End of \/NAMES list\.$/);
  await rawSync(viewer);
  assert.equal(viewer.lines.filter((l) => / 353 viewer . #missing /.test(l)).length, 0);
});

test("LIST shows visible channels with user counts and topics; >n, <n and name masks filter", async (t) => {
  const fx = await setup(t);
  const [alice, bob, carol] = (await fx.connectMany(["alice", "bob", "carol"])) as [FrameworkClient, FrameworkClient, FrameworkClient];
  await joinAndWait(alice, "#big");
  await joinAndWait(bob, "#big");
  await joinAndWait(carol, "#big");
  await joinAndWait(alice, "#medium");
  await joinAndWait(bob, "#medium");
  await joinAndWait(alice, "#tiny");
  alice.client.setTopic("#medium", "medium talk");
  await alice.waitFor("topic", (e) => e.channel === "#medium");
  await joinAndWait(alice, "#hidden");
  alice.client.mode("#hidden", "+s");
  await alice.waitFor("mode", (e) => e.target === "#hidden");

  const viewer = await fx.raw("viewer");
  const list = async (query: string): Promise<string[]> => {
    viewer.send(query);
    await viewer.waitFor(/ 323 /);
    const lines = viewer.lines.splice(0).filter((l) => / 32[12] /.test(l));
    assert.match(lines[0] ?? "", /^:cmymessage\.local 321 viewer Channel :Users {2}Name$/);
    return lines
      .slice(1)
      .map((l) => l.replace(/^:cmymessage\.local 322 viewer /, ""))
      .sort();
  };
  assert.deepEqual(await list("LIST"), ["#big 3 :", "#general 4 :", "#medium 2 :medium talk", "#tiny 1 :"]);
  assert.deepEqual(await list("LIST >2"), ["#big 3 :", "#general 4 :"]);
  assert.deepEqual(await list("LIST >1,<4"), ["#big 3 :", "#medium 2 :medium talk"]);
  assert.deepEqual(await list("LIST #*i*"), ["#big 3 :", "#medium 2 :medium talk", "#tiny 1 :"]);
  assert.deepEqual(await list("LIST !#*i*"), ["#general 4 :"]);

  // A member of the secret channel sees it.
  alice.client.raw("LIST", "#hidden");
  assert.match(await alice.waitRaw(/ 322 /), / 322 alice #hidden 1 :$/);
});

test("LIST with a comma-separated list of channels shows each of them (RFC 2812 3.2.6: LIST #twilight_zone,#42)", async (t) => {
  const fx = await setup(t);
  const owner = await fx.connect("owner");
  await joinAndWait(owner, "#alpha");
  await joinAndWait(owner, "#beta");
  await joinAndWait(owner, "#gamma");
  const viewer = await fx.raw("viewer");
  viewer.send("LIST #alpha,#gamma");
  await viewer.waitFor(/ 323 /);
  const listed = viewer.lines
    .filter((l) => / 322 viewer /.test(l))
    .map((l) => l.split(" ")[3])
    .sort();
  assert.deepEqual(listed, ["#alpha", "#gamma"]);
});

test("KICK: 482 for a non-op, 441 for a user not on the channel, 401 for no such nick, 442/403; a kick is seen by everyone in the channel", async (t) => {
  const fx = await setup(t);
  const [alice, bob, carol, dave] = (await fx.connectMany(["alice", "bob", "carol", "dave"])) as [FrameworkClient, FrameworkClient, FrameworkClient, FrameworkClient];
  await joinAndWait(alice, "#k");
  await joinAndWait(bob, "#k");
  await joinAndWait(carol, "#k");

  bob.client.raw("KICK", "#k", "carol", "no rights");
  assert.match(await bob.waitRaw(/ 482 /), /^:cmymessage\.local 482 bob #k :You're not channel operator$/);

  alice.client.raw("KICK", "#k", "dave");
  assert.match(await alice.waitRaw(/ 441 /), /^:cmymessage\.local 441 alice dave #k :They aren't on that channel$/);
  alice.client.raw("KICK", "#k", "nosuchnick");
  assert.match(await alice.waitRaw(/ 401 /), / 401 alice nosuchnick :No such nick\/channel$/);
  dave.client.raw("KICK", "#k", "bob");
  assert.match(await dave.waitRaw(/ 442 /), / 442 dave #k :You're not on that channel$/);
  dave.client.raw("KICK", "#nochan", "bob");
  assert.match(await dave.waitRaw(/ 403 /), / 403 dave #nochan :No such channel$/);

  alice.client.raw("KICK", "#k", "bob", "behave yourself");
  for (const client of [alice, bob, carol]) {
    const kick = await client.waitFor("kick", (e) => e.kicked === "bob");
    assert.equal(kick.nick, "alice");
    assert.equal(kick.channel, "#k");
    assert.equal(kick.message, "behave yourself");
  }
  await dave.sync();
  assert.equal(dave.events("kick").length, 0, "a kick is not sent outside the channel");
  alice.client.raw("NAMES", "#k");
  assert.deepEqual(nicksOf((await alice.waitFor("userlist", (e) => e.channel === "#k")).users), ["@alice", "carol"]);

  // Without a reason the kicker's nick is used; bob can no longer talk there (+n).
  alice.client.raw("KICK", "#k", "carol");
  assert.equal((await carol.waitFor("kick", (e) => e.kicked === "carol")).message, "alice");
  bob.client.say("#k", "let me back");
  assert.match(await bob.waitRaw(/ 404 /), / 404 bob #k :Cannot send to channel$/);
});

test("INVITE: +i refuses with 473 until invited; 341 to the inviter, INVITE to the target and (invite-notify) to other ops only", async (t) => {
  const fx = await setup(t);
  const [alice, carol, dave, bob] = (await fx.connectMany(["alice", "carol", "dave", "bob"])) as [FrameworkClient, FrameworkClient, FrameworkClient, FrameworkClient];
  assert.ok(carol.client.network.cap.isEnabled("invite-notify"));
  await joinAndWait(alice, "#vip");
  await joinAndWait(carol, "#vip");
  await joinAndWait(dave, "#vip");
  const plainOp = await fx.raw("plainop");
  plainOp.send("JOIN #vip");
  await plainOp.waitFor(/ 366 plainop #vip /);
  alice.client.mode("#vip", "+i", []);
  await alice.waitFor("mode", (e) => e.raw_modes === "+i");
  alice.client.mode("#vip", "+oo", ["carol", "plainop"]);
  await carol.waitFor("mode", (e) => e.raw_modes === "+oo");
  await plainOp.waitFor(/ MODE #vip \+oo carol plainop$/);

  bob.client.join("#vip");
  assert.match(await bob.waitRaw(/ 473 /), /^:cmymessage\.local 473 bob #vip :Cannot join channel \(\+i\)$/);

  // A plain member may not invite into a +i channel.
  dave.client.invite("#vip", "bob");
  assert.match(await dave.waitRaw(/ 482 /), / 482 dave #vip :You're not channel operator$/);

  alice.client.invite("#vip", "bob");
  assert.match(await alice.waitRaw(/ 341 /), /^:cmymessage\.local 341 alice bob :?#vip$/);
  const invite = await bob.waitFor("invite");
  assert.equal(invite.nick, "alice");
  assert.equal(invite.invited, "bob");
  assert.equal(invite.channel, "#vip");
  const notified = await carol.waitFor("invite");
  assert.equal(notified.invited, "bob");
  assert.equal(notified.nick, "alice");
  await Promise.all([alice.sync(), dave.sync(), rawSync(plainOp)]);
  assert.equal(alice.events("invite").length, 0, "the inviter gets 341, not its own INVITE");
  assert.equal(dave.events("invite").length, 0, "invite-notify goes to channel operators only");
  assert.equal(plainOp.lines.filter((l) => / INVITE /.test(l)).length, 0, "an op without invite-notify is not told");

  bob.client.join("#vip");
  await bob.waitFor("userlist", (e) => e.channel === "#vip");
  await alice.waitFor("join", (e) => e.channel === "#vip" && e.nick === "bob");

  // The invitation is used up: after leaving, bob is refused again.
  bob.client.part("#vip");
  await bob.waitFor("part", (e) => e.channel === "#vip");
  bob.client.join("#vip");
  await bob.waitRaw(/ 473 bob #vip /);

  alice.client.invite("#vip", "carol");
  assert.match(await alice.waitRaw(/ 443 /), / 443 alice carol #vip :is already on channel$/);
  alice.client.invite("#vip", "ghost");
  assert.match(await alice.waitRaw(/ 401 /), / 401 alice ghost :No such nick\/channel$/);
  bob.client.invite("#vip", "dave");
  assert.match(await bob.waitRaw(/ 442 /), / 442 bob #vip :You're not on that channel$/);
});

test("KICK #c a,b,c: one KICK line per user to everyone in the channel; errors per target, the others still kicked", async (t) => {
  const fx = await setup(t, { irc: { maxTargets: 5 } });
  const op = await fx.raw("op");
  const members = [];
  for (const nick of ["a1", "b1", "c1", "watcher"]) {
    const c = await fx.raw(nick);
    members.push(c);
  }
  const outside = await fx.raw("outside");
  for (const c of [op, ...members]) {
    const nick = c === op ? "op" : ["a1", "b1", "c1", "watcher"][members.indexOf(c)]!;
    c.send("JOIN #multi");
    await c.waitFor(new RegExp(` 366 ${nick} #multi `));
  }
  op.lines.splice(0);
  op.send("KICK #multi a1,ghost,outside,b1,c1 :out you go");
  const watcher = members[3]!;
  for (const nick of ["a1", "b1", "c1"]) {
    assert.equal(await watcher.waitFor(new RegExp(` KICK #multi ${nick} `)), `:op!~op@127.0.0.1 KICK #multi ${nick} :out you go`);
    await op.waitFor(new RegExp(`^:op!\\S+ KICK #multi ${nick} :out you go$`));
  }
  assert.equal(await op.waitFor(/ 401 /), ":cmymessage.local 401 op ghost :No such nick/channel");
  assert.equal(await op.waitFor(/ 441 /), ":cmymessage.local 441 op outside #multi :They aren't on that channel");
  await rawSync(watcher);
  assert.equal(watcher.lines.filter((l) => / KICK /.test(l)).length, 0, "each user kicked exactly once");
  // Each kicked user sees the kicks before its own, once each, then its own, and nothing after.
  for (const [i, nick] of ["a1", "b1", "c1"].entries()) {
    await members[i]!.waitFor(new RegExp(` KICK #multi ${nick} `));
    await rawSync(members[i]!);
    assert.deepEqual(
      members[i]!.lines.filter((l) => / KICK /.test(l)).map((l) => l.split(" ")[3]),
      ["a1", "b1", "c1"].slice(0, i),
    );
  }
  op.send("NAMES #multi");
  assert.match(await op.waitFor(/ 353 op /), / #multi :@op watcher$/);
  await rawSync(outside);
  assert.equal(outside.lines.filter((l) => / KICK /.test(l)).length, 0);
});

test("KICK #a,#b x,y pairs channels and users in order; unequal lists are 461; more targets than TARGMAX is 407 and kicks nobody", async (t) => {
  const fx = await setup(t, { irc: { maxTargets: 3 } });
  const op = await fx.raw("op");
  const x = await fx.raw("x");
  const y = await fx.raw("y");
  for (const [c, nick, channels] of [
    [op, "op", ["#a", "#b"]],
    [x, "x", ["#a", "#b"]],
    [y, "y", ["#a", "#b"]],
  ] as const) {
    for (const channel of channels) {
      c.send(`JOIN ${channel}`);
      await c.waitFor(new RegExp(` 366 ${nick} ${channel} `));
    }
  }
  op.send("KICK #a,#b x");
  assert.equal(await op.waitFor(/ 461 /), ":cmymessage.local 461 op KICK :Not enough parameters");
  op.send("KICK #a x,y,x,y");
  assert.equal(await op.waitFor(/ 407 /), ":cmymessage.local 407 op x,y,x,y :Too many targets");
  await rawSync(op);
  assert.equal(op.lines.filter((l) => / KICK /.test(l)).length, 0, "nothing changed");

  op.send("KICK #a,#b x,y :paired");
  assert.equal(await x.waitFor(/ KICK #a x /), ":op!~op@127.0.0.1 KICK #a x :paired");
  assert.equal(await y.waitFor(/ KICK #b y /), ":op!~op@127.0.0.1 KICK #b y :paired");
  await rawSync(x);
  await rawSync(y);
  // x is still in #b and y in #a: each saw the other's kick there only.
  assert.deepEqual(x.lines.filter((l) => / KICK /.test(l)), [":op!~op@127.0.0.1 KICK #b y :paired"]);
  assert.deepEqual(y.lines.filter((l) => / KICK /.test(l)), [":op!~op@127.0.0.1 KICK #a x :paired"]);

  // A channel-level error is reported once for that channel; the other pairs are still tried.
  x.send("KICK #b,#b,#a op,op,op");
  assert.equal(await x.waitFor(/ 482 /), ":cmymessage.local 482 x #b :You're not channel operator");
  assert.equal(await x.waitFor(/ 442 /), ":cmymessage.local 442 x #a :You're not on that channel");
  await rawSync(x);
  assert.deepEqual(x.lines.filter((l) => / 48[12] | 44[12] /.test(l)), [], "one error per channel");
});

test("PRIVMSG to a list that names a target twice, in any case, delivers to it once", async (t) => {
  const fx = await setup(t);
  const sender = await fx.raw("twicesender");
  const nick = await fx.raw("twicenick");
  const member = await fx.raw("twicemember");
  for (const [c, name] of [[sender, "twicesender"], [member, "twicemember"]] as const) {
    c.send("JOIN #twice");
    await c.waitFor(new RegExp(` 366 ${name} #twice `));
  }
  sender.send("PRIVMSG twicenick,#twice,TwiceNick,#TWICE :once each");
  await nick.waitFor(/ PRIVMSG twicenick :once each$/);
  await member.waitFor(/ PRIVMSG #twice :once each$/);
  sender.send("PING sync");
  await sender.waitFor(/ PONG /);
  await rawSync(nick);
  await rawSync(member);
  assert.equal(nick.lines.filter((l) => / PRIVMSG /.test(l)).length, 0, "the nick got it twice");
  assert.equal(member.lines.filter((l) => / PRIVMSG /.test(l)).length, 0, "the channel got it twice");
});

test("MODE changes too long for one line reach members as several whole lines, never a mask cut short", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("longmodeop");
  const member = await fx.raw("longmodemember");
  for (const [c, name] of [[op, "longmodeop"], [member, "longmodemember"]] as const) {
    c.send("JOIN #longmodes");
    await c.waitFor(new RegExp(` 366 ${name} #longmodes `));
  }
  const masks = Array.from({ length: 6 }, (_, i) => `${i}${"x".repeat(79)}`);
  op.send(`MODE #longmodes +bbbbbb ${masks.join(" ")}`);
  op.send("MODE #longmodes +b");
  await op.waitFor(/ 368 longmodeop #longmodes /);
  const lists = op.lines.filter((l) => / 367 longmodeop #longmodes /.test(l)).map((l) => l.split(" ")[4]);
  assert.equal(lists.length, 6);
  // What the member sees, line by line, adds up to the list the channel holds.
  const seen: string[] = [];
  while (seen.length < 6) {
    const line = await member.waitFor(/ MODE #longmodes \+b+ /);
    assert.ok(Buffer.byteLength(line) + 2 <= 512, `${Buffer.byteLength(line) + 2}-byte line`);
    const [letters, ...params] = line.split(" ").slice(3);
    assert.equal(letters!.replace(/^:/, "").length - 1, params.length, line);
    seen.push(...params.map((p) => p.replace(/^:/, "")));
  }
  assert.deepEqual(seen.sort(), [...lists].sort());
});

test("one who may not speak in a channel (banned, or +m without voice) leaves it without a PART reason", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("partop");
  const banned = await fx.raw("partbanned");
  const muted = await fx.raw("partmuted");
  for (const [c, name, channel] of [[op, "partop", "#partban"], [op, "partop", "#partmod"], [banned, "partbanned", "#partban"], [muted, "partmuted", "#partmod"]] as const) {
    c.send(`JOIN ${channel}`);
    await c.waitFor(new RegExp(` 366 ${name} ${channel} `));
  }
  op.send("MODE #partban +b partbanned!*@*");
  await op.waitFor(/ MODE #partban \+b /);
  op.send("MODE #partmod +m");
  await op.waitFor(/ MODE #partmod \+m/);
  banned.send("PART #partban :buy cheap watches");
  assert.match(await op.waitFor(/^:partbanned!\S+ PART #partban/), /^:partbanned!\S+ PART #partban$/);
  muted.send("PART #partmod :buy cheap watches");
  assert.match(await op.waitFor(/^:partmuted!\S+ PART #partmod/), /^:partmuted!\S+ PART #partmod$/);
  // One who may speak keeps the reason.
  op.send("JOIN #partfree");
  await op.waitFor(/ 366 partop #partfree /);
  const free = await fx.raw("partfree");
  free.send("JOIN #partfree");
  await free.waitFor(/ 366 partfree #partfree /);
  free.send("PART #partfree :see you");
  assert.match(await op.waitFor(/^:partfree!\S+ PART #partfree/), / PART #partfree :see you$/);
});
