import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import type { FrameworkClient } from "../support/framework-client.js";

async function rawJoin(client: RawClient, nick: string, channel: string, key?: string): Promise<void> {
  client.send(key === undefined ? `JOIN ${channel}` : `JOIN ${channel} ${key}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

async function joinAndWait(client: FrameworkClient, channel: string, key?: string): Promise<void> {
  client.client.join(channel, key);
  await client.waitFor("userlist", (e) => e.channel.toLowerCase() === channel.toLowerCase());
}

test("mode query: 324 shows +nt on a new channel and 329 its creation time; the key only to members", async (t) => {
  const fx = await setup(t);
  const before = Math.floor(Date.now() / 1000);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#m");
  op.send("MODE #m");
  assert.match(await op.waitFor(/ 324 /), /^:cmymessage\.local 324 op #m :?\+nt$/);
  const created = /^:cmymessage\.local 329 op #m :?(\d+)$/.exec(await op.waitFor(/ 329 /));
  assert.ok(created);
  assert.ok(Number(created[1]) >= before && Number(created[1]) <= Date.now() / 1000 + 1);

  op.send("MODE #m +kl sesame 5");
  assert.match(await op.waitFor(/ MODE #m /), /^:op!~op@127\.0\.0\.1 MODE #m \+kl sesame :?5$/);
  op.send("MODE #m");
  assert.match(await op.waitFor(/ 324 /), / 324 op #m \+ntkl sesame :?5$/);
  const outsider = await fx.raw("outsider");
  outsider.send("MODE #m");
  assert.match(await outsider.waitFor(/ 324 /), / 324 outsider #m \+ntkl \* :?5$/);
  await outsider.waitFor(/ 329 outsider #m /);
});

test("+n: outsiders get 404 until -n; +m: only voiced and ops speak; +v and +o are seen by the channel", async (t) => {
  const fx = await setup(t);
  const [alice, bob] = (await fx.connectMany(["alice", "bob"])) as [FrameworkClient, FrameworkClient];
  const outsider = await fx.raw("outsider");
  await joinAndWait(alice, "#talk");
  await joinAndWait(bob, "#talk");

  outsider.send("PRIVMSG #talk :knock knock");
  assert.match(await outsider.waitFor(/ 404 /), /^:cmymessage\.local 404 outsider #talk :Cannot send to channel$/);
  alice.client.mode("#talk", "-n");
  const minusN = await bob.waitFor("mode", (e) => e.target === "#talk");
  assert.equal(minusN.raw_modes, "-n");
  assert.equal(minusN.nick, "alice");
  outsider.send("PRIVMSG #talk :knock knock");
  assert.equal((await bob.waitFor("privmsg", (e) => e.nick === "outsider")).message, "knock knock");

  alice.client.mode("#talk", "+m");
  await bob.waitFor("mode", (e) => e.raw_modes === "+m");
  bob.client.say("#talk", "can I talk?");
  assert.match(await bob.waitRaw(/ 404 /), /^:cmymessage\.local 404 bob #talk :Cannot send to channel$/);
  alice.client.say("#talk", "ops can");
  assert.equal((await bob.waitFor("privmsg", (e) => e.nick === "alice")).message, "ops can");

  alice.client.mode("#talk", "+v", "bob");
  const voice = await bob.waitFor("mode", (e) => e.raw_modes === "+v");
  assert.deepEqual(voice.modes, [{ mode: "+v", param: "bob" }]);
  bob.client.say("#talk", "now I can");
  assert.equal((await alice.waitFor("privmsg", (e) => e.nick === "bob")).message, "now I can");
  alice.client.raw("NAMES", "#talk");
  const names = await alice.waitFor("userlist", (e) => e.channel === "#talk");
  assert.deepEqual(names.users.find((u) => u.nick === "bob")?.modes, ["v"]);

  // +o makes bob an operator of the channel: he may now change modes.
  alice.client.mode("#talk", "+o", "bob");
  await bob.waitFor("mode", (e) => e.raw_modes === "+o");
  bob.client.mode("#talk", "-m");
  assert.equal((await alice.waitFor("mode", (e) => e.nick === "bob")).raw_modes, "-m");
  alice.client.mode("#talk", "-o", "bob");
  await bob.waitFor("mode", (e) => e.raw_modes === "-o");
  bob.client.mode("#talk", "+m");
  assert.match(await bob.waitRaw(/ 482 /), / 482 bob #talk :You're not channel operator$/);
});

test("+k: 475 without or with a wrong key, the right key lets in; +l: 471 when full", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#locked");
  op.send("MODE #locked +k sesame");
  await op.waitFor(/ MODE #locked \+k sesame$/);
  const guest = await fx.raw("guest");
  guest.send("JOIN #locked");
  assert.match(await guest.waitFor(/ 475 /), /^:cmymessage\.local 475 guest #locked :Cannot join channel \(\+k\)$/);
  guest.send("JOIN #locked wrong");
  assert.match(await guest.waitFor(/ 475 /), / 475 guest #locked /);
  await rawJoin(guest, "guest", "#locked", "sesame");
  await op.waitFor(/^:guest!~guest@127\.0\.0\.1 JOIN #locked$/);

  op.send("MODE #locked -k *");
  assert.match(await op.waitFor(/ MODE #locked -k/), / MODE #locked -k :?\*$/);

  op.send("MODE #locked +l 2");
  await op.waitFor(/ MODE #locked \+l :?2$/);
  const third = await fx.raw("third");
  third.send("JOIN #locked");
  assert.match(await third.waitFor(/ 471 /), /^:cmymessage\.local 471 third #locked :Cannot join channel \(\+l\)$/);
  op.send("MODE #locked -l");
  await op.waitFor(/ MODE #locked -l$/);
  await rawJoin(third, "third", "#locked");
});

test("+s hides a channel from outsiders in LIST, NAMES and WHOIS; members see it with the @ symbol", async (t) => {
  const fx = await setup(t);
  const member = await fx.raw("member");
  await rawJoin(member, "member", "#secret");
  member.send("MODE #secret +s");
  await member.waitFor(/ MODE #secret \+s$/);
  const outsider = await fx.raw("outsider");

  outsider.send("LIST");
  await outsider.waitFor(/ 323 /);
  assert.equal(outsider.lines.filter((l) => / 322 outsider #secret /.test(l)).length, 0);
  outsider.send("NAMES #secret");
  await outsider.waitFor(/ 366 outsider #secret /);
  assert.equal(outsider.lines.filter((l) => / 353 outsider . #secret /.test(l)).length, 0);
  outsider.send("WHOIS member");
  const channels = await outsider.waitFor(/ 319 /);
  assert.doesNotMatch(channels, /#secret/);
  assert.match(channels, /#general/);
  await outsider.waitFor(/ 318 /);

  member.send("NAMES #secret");
  assert.match(await member.waitFor(/ 353 member @ #secret /), / 353 member @ #secret :@member$/);
  member.send("LIST");
  assert.match(await member.waitFor(/ 322 member #secret /), / 322 member #secret 1 :$/);
});

test("+b on nick!user@host refuses with 474 and mutes a member; 367/368 list it; +e lets an exception in", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#b");
  const before = Math.floor(Date.now() / 1000);
  op.send("MODE #b +b bad!~bad@127.0.0.1");
  assert.match(await op.waitFor(/ MODE #b /), /^:op!~op@127\.0\.0\.1 MODE #b \+b bad!~bad@127\.0\.0\.1$/);

  const bad = await fx.raw("bad");
  bad.send("JOIN #b");
  assert.match(await bad.waitFor(/ 474 /), /^:cmymessage\.local 474 bad #b :Cannot join channel \(\+b\)$/);
  const good = await fx.raw("good");
  await rawJoin(good, "good", "#b");

  op.send("MODE #b +b");
  const entry = /^:cmymessage\.local 367 op #b bad!~bad@127\.0\.0\.1 op :?(\d+)$/.exec(await op.waitFor(/ 367 /));
  assert.ok(entry);
  assert.ok(Number(entry[1]) >= before);
  assert.match(await op.waitFor(/ 368 /), /^:cmymessage\.local 368 op #b :End of channel ban list$/);

  // A banned member may not speak.
  op.send("MODE #b +b good!*@*");
  await good.waitFor(/ MODE #b \+b good!\*@\*$/);
  good.send("PRIVMSG #b :hello");
  assert.match(await good.waitFor(/ 404 /), / 404 good #b :Cannot send to channel$/);
  op.send("MODE #b -b good!*@*");
  await good.waitFor(/ MODE #b -b good!\*@\*$/);

  // Ban everyone from this address, except "bad" by an exception.
  op.send("MODE #b +be *!*@127.0.0.1 bad!*@*");
  await op.waitFor(/ MODE #b \+be \*!\*@127\.0\.0\.1 bad!\*@\*$/);
  await rawJoin(bad, "bad", "#b");
  const other = await fx.raw("other");
  other.send("JOIN #b");
  await other.waitFor(/ 474 other #b /);
  op.send("MODE #b e");
  assert.match(await op.waitFor(/ 348 /), / 348 op #b bad!\*@\* op :?\d+$/);
  assert.match(await op.waitFor(/ 349 /), / 349 op #b :End of channel exception list$/);

  // A bare nick is taken as nick!*@*.
  op.send("MODE #b +b troll");
  assert.match(await op.waitFor(/ MODE #b \+b troll/), / MODE #b \+b troll!\*@\*$/);
});

test("+I invite exception lets a matching user into a +i channel without an invitation", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#inv");
  op.send("MODE #inv +iI friend!*@*");
  await op.waitFor(/ MODE #inv \+iI friend!\*@\*$/);
  const friend = await fx.raw("friend");
  await rawJoin(friend, "friend", "#inv");
  const stranger = await fx.raw("stranger");
  stranger.send("JOIN #inv");
  await stranger.waitFor(/ 473 stranger #inv /);
});

test("mode errors: 403, 472, 482, 696, 461, 502, 501 and 421; user mode +i and 221", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#errs");
  const user = await fx.raw("user");
  await rawJoin(user, "user", "#errs");

  user.send("MODE #nochan +m");
  assert.match(await user.waitFor(/ 403 /), /^:cmymessage\.local 403 user #nochan :No such channel$/);
  op.send("MODE #errs +Z");
  assert.match(await op.waitFor(/ 472 /), /^:cmymessage\.local 472 op Z :is unknown mode char to me$/);
  user.send("MODE #errs +m");
  assert.match(await user.waitFor(/ 482 /), /^:cmymessage\.local 482 user #errs :You're not channel operator$/);
  user.send("MODE #errs +o user");
  await user.waitFor(/ 482 user #errs /);
  op.send("MODE #errs +k");
  assert.match(await op.waitFor(/ 696 /), / 696 op #errs k \* :Missing or invalid parameter$/);
  op.send("MODE #errs +o ghost");
  assert.match(await op.waitFor(/ 401 /), / 401 op ghost :No such nick\/channel$/);
  user.send("MODE");
  assert.match(await user.waitFor(/ 461 /), /^:cmymessage\.local 461 user MODE :Not enough parameters$/);

  user.send("MODE op +i");
  assert.match(await user.waitFor(/ 502 /), /^:cmymessage\.local 502 user :Can't change mode for other users$/);
  user.send("MODE op");
  assert.match(await user.waitFor(/ 502 /), / 502 user :Can't view modes for other users$/);
  user.send("MODE user +Z");
  assert.match(await user.waitFor(/ 501 /), /^:cmymessage\.local 501 user :Unknown MODE flag$/);
  user.send("MODE user +o");
  user.send("MODE user +i");
  assert.match(await user.waitFor(/ MODE user /), /^:user!~user@127\.0\.0\.1 MODE user :?\+i$/);
  user.send("MODE user");
  assert.match(await user.waitFor(/ 221 /), /^:cmymessage\.local 221 user :?\+i$/);
  user.send("FOOBAR baz");
  assert.match(await user.waitFor(/ 421 /), /^:cmymessage\.local 421 user FOOBAR :Unknown command$/);
  await rawSync(user);
  assert.equal(user.lines.filter((l) => / MODE user :?\+o/.test(l)).length, 0, "MODE +o on oneself is never granted");
});
