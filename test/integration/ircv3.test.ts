import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";

const ALL_CAPS = [
  "account-notify",
  "account-tag",
  "away-notify",
  "batch",
  "cap-notify",
  "echo-message",
  "extended-join",
  "invite-notify",
  "labeled-response",
  "message-tags",
  "multi-prefix",
  "server-time",
  "setname",
  "userhost-in-names",
];

const SERVER_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function rawJoin(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

/** The tags of a raw line as a map (values unescaped enough for these tests). */
function tagsOf(line: string): Map<string, string> {
  const tags = new Map<string, string>();
  if (!line.startsWith("@")) return tags;
  for (const item of line.slice(1, line.indexOf(" ")).split(";")) {
    const eq = item.indexOf("=");
    tags.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? "" : item.slice(eq + 1));
  }
  return tags;
}

function withoutTags(line: string): string {
  return line.startsWith("@") ? line.slice(line.indexOf(" ") + 1) : line;
}

test("CAP LS 302 lists every capability and holds registration until CAP END; 302 implies cap-notify", async (t) => {
  const fx = await setup(t);
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  // The list may span several lines: all but the last carry a "*" before the caps.
  const offered: string[] = [];
  for (;;) {
    const ls = await c.waitFor(/ CAP \* LS /);
    const parts = /^:cmymessage\.local CAP \* LS (\* )?:?(.*)$/.exec(ls);
    assert.ok(parts, ls);
    offered.push(...parts[2]!.split(" ").map((cap) => cap.split("=")[0]!));
    if (parts[1] === undefined) break;
  }
  for (const cap of ALL_CAPS) assert.ok(offered.includes(cap), `CAP LS lacks ${cap}: ${offered.join(" ")}`);

  c.send("NICK capper");
  c.send("USER capper 0 * :Cap Per");
  await rawSync(c); // PING works before registration
  assert.equal(c.lines.filter((l) => / 001 /.test(l)).length, 0, "registration must wait for CAP END");

  c.send("CAP LIST");
  assert.match(await c.waitFor(/ CAP \S+ LIST /), /^:cmymessage\.local CAP (\*|capper) LIST :?cap-notify$/);
  c.send("CAP END");
  assert.match(await c.waitFor(/ 001 /), / 001 capper :Welcome/);
  c.send("CAP LIST");
  assert.match(await c.waitFor(/ CAP capper LIST /), / CAP capper LIST :?cap-notify$/);
});

test("CAP LS without 302 does not enable cap-notify", async (t) => {
  const fx = await setup(t);
  const c = await fx.rawConnect();
  c.send("CAP LS");
  await c.waitFor(/ CAP \* LS /);
  c.send("CAP LIST");
  assert.match(await c.waitFor(/ CAP \* LIST /), /^:cmymessage\.local CAP \* LIST :$/);
});

test("CAP REQ: ACK enables, an unknown cap NAKs the whole request and enables nothing; -cap disables; bad subcommand 410", async (t) => {
  const fx = await setup(t);
  const c = await fx.rawConnect();
  c.send("CAP REQ :echo-message definitely-not-a-cap");
  assert.equal(await c.waitFor(/ CAP /), ":cmymessage.local CAP * NAK :echo-message definitely-not-a-cap");
  c.send("CAP LIST");
  assert.equal(await c.waitFor(/ CAP \* LIST /), ":cmymessage.local CAP * LIST :");

  c.send("CAP REQ :multi-prefix server-time");
  assert.equal(await c.waitFor(/ CAP \* ACK /), ":cmymessage.local CAP * ACK :multi-prefix server-time");
  c.send("CAP REQ :-server-time");
  assert.match(await c.waitFor(/ CAP \* ACK /), / CAP \* ACK :?-server-time$/);
  c.send("CAP LIST");
  assert.match(await c.waitFor(/ CAP \* LIST /), / CAP \* LIST :?multi-prefix$/);
  c.send("CAP BOGUS");
  assert.equal(await c.waitFor(/ 410 /), ":cmymessage.local 410 * BOGUS :Invalid CAP command");
  c.send("NICK capreq");
  c.send("USER capreq 0 * :x");
  c.send("CAP END");
  await c.waitFor(/ 001 capreq /);
});

test("server-time: events carry @time=YYYY-MM-DDThh:mm:ss.sssZ close to now; a plain client gets no tags", async (t) => {
  const fx = await setup(t);
  const timed = await fx.raw("timed", ["server-time"]);
  const plain = await fx.raw("plain");
  const sender = await fx.raw("sender");
  await timed.waitFor(/ JOIN #general$/); // sender's join, timestamped
  sender.send("PRIVMSG #general :what time is it");
  const line = await timed.waitFor(/ PRIVMSG #general /);
  const time = tagsOf(line).get("time");
  assert.ok(time !== undefined, line);
  assert.match(time, SERVER_TIME);
  assert.ok(Math.abs(Date.parse(time) - Date.now()) < 5000, time);
  assert.equal(withoutTags(line), ":sender!~sender@127.0.0.1 PRIVMSG #general :what time is it");
  assert.equal(await plain.waitFor(/ PRIVMSG #general /), ":sender!~sender@127.0.0.1 PRIVMSG #general :what time is it");
});

test("echo-message: the sender gets its PRIVMSG and NOTICE back, to a channel and to a user; without the cap it does not", async (t) => {
  const fx = await setup(t);
  const echo = await fx.raw("echo", ["echo-message"]);
  const other = await fx.raw("other");
  echo.send("PRIVMSG #general :to the channel");
  assert.equal(await echo.waitFor(/ PRIVMSG #general /), ":echo!~echo@127.0.0.1 PRIVMSG #general :to the channel");
  echo.send("NOTICE other :a notice");
  assert.equal(await echo.waitFor(/ NOTICE other /), ":echo!~echo@127.0.0.1 NOTICE other :a notice");
  await other.waitFor(/ NOTICE other :a notice$/);
  other.send("PRIVMSG #general :no echo for me");
  await echo.waitFor(/ PRIVMSG #general :no echo for me$/);
  await rawSync(other);
  assert.equal(other.lines.filter((l) => / PRIVMSG #general /.test(l)).length, 1, "only echo's message, not its own");
});

test("message-tags: a client-only tag (+typing) reaches a message-tags client and is stripped for a plain one; TAGMSG only to message-tags clients", async (t) => {
  const fx = await setup(t);
  const tagger = await fx.raw("tagger", ["message-tags"]);
  const tagged = await fx.connect("tagged"); // irc-framework asks for message-tags itself
  assert.ok(tagged.client.network.cap.isEnabled("message-tags"));
  const plain = await fx.raw("plain");

  tagger.send("@+typing=active;+example.org/key=a\\sb TAGMSG #general");
  const tagmsg = await tagged.waitFor("tagmsg", (e) => e.nick === "tagger");
  assert.equal(tagmsg.target, "#general");
  assert.equal(tagmsg.tags["+typing"], "active");
  assert.equal(tagmsg.tags["+example.org/key"], "a b");
  assert.ok(tagmsg.tags.msgid);

  tagger.send("@+draft/reply=abc123;time=2000-01-01T00:00:00.000Z;account=forged PRIVMSG #general :tagged text");
  const message = await tagged.waitFor("privmsg", (e) => e.nick === "tagger");
  assert.equal(message.message, "tagged text");
  assert.equal(message.tags["+draft/reply"], "abc123");
  assert.equal(message.tags.account, undefined, "server tags from a client are not relayed");
  assert.notEqual(message.tags.time, "2000-01-01T00:00:00.000Z", "a client cannot forge server-time");

  assert.equal(await plain.waitFor(/ PRIVMSG #general :tagged text$/), ":tagger!~tagger@127.0.0.1 PRIVMSG #general :tagged text");
  await rawSync(plain);
  assert.equal(plain.lines.filter((l) => / TAGMSG /.test(l)).length, 0, "TAGMSG is not sent to a client without message-tags");

  // A sender without message-tags cannot attach client tags.
  plain.send("@+typing=active PRIVMSG #general :from plain");
  const fromPlain = await tagged.waitFor("privmsg", (e) => e.nick === "plain");
  assert.equal(fromPlain.tags["+typing"], undefined);
  plain.send("@+typing=active TAGMSG #general");
  await rawSync(plain);
  await tagged.sync();
  assert.equal(tagged.events("tagmsg").length, 0);
});

test("msgid: every PRIVMSG to a message-tags client has a msgid, distinct per message, shared by all recipients", async (t) => {
  const fx = await setup(t);
  const a = await fx.raw("a", ["message-tags"]);
  const b = await fx.raw("b", ["message-tags", "server-time"]);
  const sender = await fx.raw("sender");
  sender.send("PRIVMSG #general :one");
  sender.send("PRIVMSG #general :two");
  sender.send("PRIVMSG a :direct");
  const a1 = tagsOf(await a.waitFor(/ PRIVMSG #general :one$/)).get("msgid");
  const a2 = tagsOf(await a.waitFor(/ PRIVMSG #general :two$/)).get("msgid");
  const b1 = tagsOf(await b.waitFor(/ PRIVMSG #general :one$/)).get("msgid");
  const direct = tagsOf(await a.waitFor(/ PRIVMSG a :direct$/)).get("msgid");
  assert.ok(a1 && a2 && direct);
  assert.notEqual(a1, a2);
  assert.notEqual(a2, direct);
  assert.equal(a1, b1);
});

test("multi-prefix and userhost-in-names change NAMES (and WHO flags) for the clients that ask", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#np");
  const both = await fx.raw("both");
  await rawJoin(both, "both", "#np");
  op.send("MODE #np +ov both both");
  await both.waitFor(/ MODE #np \+ov both both$/);

  const plain = await fx.raw("plain");
  const multi = await fx.raw("multi", ["multi-prefix"]);
  const uhnames = await fx.raw("uhnames", ["userhost-in-names"]);
  const full = await fx.raw("full", ["multi-prefix", "userhost-in-names"]);
  const names = async (c: RawClient, nick: string): Promise<string> => {
    c.send("NAMES #np");
    return (await c.waitFor(new RegExp(` 353 ${nick} = #np `))).split(" :")[1]!;
  };
  assert.equal(await names(plain, "plain"), "@op @both");
  assert.equal(await names(multi, "multi"), "@op @+both");
  assert.equal(await names(uhnames, "uhnames"), "@op!~op@127.0.0.1 @both!~both@127.0.0.1");
  assert.equal(await names(full, "full"), "@op!~op@127.0.0.1 @+both!~both@127.0.0.1");

  multi.send("WHO #np");
  assert.match(await multi.waitFor(/ 352 multi #np ~both /), / both H@\+ :0 both test$/);
  multi.send("WHOIS both");
  assert.match(await multi.waitFor(/ 319 multi both /), /@\+#np/);
});

test("extended-join adds account (*) and real name to JOIN for clients that ask", async (t) => {
  const fx = await setup(t);
  const extended = await fx.raw("extended", ["extended-join"]);
  const plain = await fx.raw("plain");
  const joiner = await fx.rawConnect();
  joiner.send("NICK joiner");
  joiner.send("USER joiner 0 * :Joan Joiner");
  assert.equal(await extended.waitFor(/^:joiner!/), ":joiner!~joiner@127.0.0.1 JOIN #general * :Joan Joiner");
  assert.equal(await plain.waitFor(/^:joiner!/), ":joiner!~joiner@127.0.0.1 JOIN #general");
  // irc-framework with extended-join reads the real name from it.
  const fw = await fx.connect("fw");
  joiner.send("JOIN #ej");
  await joiner.waitFor(/ 366 joiner #ej /);
  fw.client.join("#ej");
  await fw.waitFor("userlist", (e) => e.channel === "#ej");
  await fx.raw("later");
  const seen = await fw.waitFor("join", (e) => e.nick === "later");
  assert.equal(seen.gecos, "later test");
  assert.equal(seen.account, false);
});

test("away-notify: clients that ask see AWAY set and cleared by users they share a channel with", async (t) => {
  const fx = await setup(t);
  const notified = await fx.raw("notified", ["away-notify"]);
  const plain = await fx.raw("plain");
  const fw = await fx.connect("fw"); // irc-framework asks for away-notify itself
  const bob = await fx.raw("bob");
  bob.send("AWAY :out to lunch");
  assert.equal(await notified.waitFor(/ AWAY(?: |$)/), ":bob!~bob@127.0.0.1 AWAY :out to lunch");
  const away = await fw.waitFor("away", (e) => e.nick === "bob");
  assert.equal(away.message, "out to lunch");
  bob.send("AWAY");
  assert.equal(await notified.waitFor(/ AWAY(?: |$)/), ":bob!~bob@127.0.0.1 AWAY");
  await rawSync(plain);
  assert.equal(plain.lines.filter((l) => / AWAY(?: |$)/.test(l)).length, 0);
});

test("setname: SETNAME changes the real name, told to the user and to peers with the cap; WHOIS shows it; too long gets FAIL", async (t) => {
  const fx = await setup(t, { irc: { realnameLength: 20 } });
  const setter = await fx.raw("setter", ["setname"]);
  const watcher = await fx.raw("watcher", ["setname"]);
  const plain = await fx.raw("plain");
  setter.send("SETNAME :Brand New Name");
  assert.equal(await setter.waitFor(/ SETNAME /), ":setter!~setter@127.0.0.1 SETNAME :Brand New Name");
  assert.equal(await watcher.waitFor(/ SETNAME /), ":setter!~setter@127.0.0.1 SETNAME :Brand New Name");
  plain.send("WHOIS setter");
  assert.match(await plain.waitFor(/ 311 /), / 311 plain setter ~setter 127\.0\.0\.1 \* :Brand New Name$/);
  assert.equal(plain.lines.filter((l) => / SETNAME /.test(l)).length, 0);

  setter.send("SETNAME :this real name is far too long");
  assert.equal(await setter.waitFor(/ FAIL /), ":cmymessage.local FAIL SETNAME INVALID_REALNAME :Realname is too long");
  // Counted in bytes: 12 accented letters are 24, over the 20 allowed, refused rather than cut.
  setter.send(`SETNAME :${"é".repeat(12)}`);
  assert.equal(await setter.waitFor(/ FAIL /), ":cmymessage.local FAIL SETNAME INVALID_REALNAME :Realname is too long");
});

test("labeled-response: ACK for a command with no reply, the label on a single reply, a BATCH for several", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("labeler", ["labeled-response", "batch"]);

  c.send("@label=noreply PRIVMSG #general :nobody echoes this");
  assert.equal(await c.waitFor(/label=noreply/), "@label=noreply :cmymessage.local ACK");

  c.send("@label=one PING tok");
  assert.equal(await c.waitFor(/label=one/), "@label=one :cmymessage.local PONG cmymessage.local tok");

  c.send("@label=err PRIVMSG ghost :hello");
  assert.equal(await c.waitFor(/label=err/), "@label=err :cmymessage.local 401 labeler ghost :No such nick/channel");

  c.lines.splice(0);
  c.send("@label=multi JOIN #labeled");
  const start = await c.waitFor(/ BATCH \+/);
  const opened = /^@label=multi :cmymessage\.local BATCH \+(\S+) labeled-response$/.exec(start);
  assert.ok(opened, start);
  const ref = opened[1]!;
  const end = await c.waitFor(new RegExp(` BATCH -${ref}$`));
  assert.equal(end, `:cmymessage.local BATCH -${ref}`);
  const inside = c.lines.splice(0);
  assert.deepEqual(inside, [
    `@batch=${ref} :labeler!~labeler@127.0.0.1 JOIN #labeled`,
    `@batch=${ref} :cmymessage.local 353 labeler = #labeled :@labeler`,
    `@batch=${ref} :cmymessage.local 366 labeler #labeled :End of /NAMES list.`,
  ]);

  // A label over 64 bytes is ignored: answered unlabelled, so no reply's tags outgrow 8191 bytes.
  c.lines.splice(0);
  c.send(`@label=${"x".repeat(65)} PING long`);
  assert.equal(await c.waitFor(/ PONG /), ":cmymessage.local PONG cmymessage.local long");
  c.send(`@label=${"y".repeat(64)} PING fits`);
  assert.equal(await c.waitFor(/ PONG /), `@label=${"y".repeat(64)} :cmymessage.local PONG cmymessage.local fits`);

  // Without the cap the label is ignored.
  const plain = await fx.raw("plain");
  plain.send("@label=ignored PING tok2");
  assert.equal(await plain.waitFor(/ PONG /), ":cmymessage.local PONG cmymessage.local tok2");
});

test("labeled-response with echo-message: a labelled PRIVMSG comes back as the labelled echo", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("echolabel", ["labeled-response", "batch", "echo-message"]);
  c.send("@label=e1 PRIVMSG #general :labelled echo");
  assert.equal(await c.waitFor(/label=e1/), "@label=e1 :echolabel!~echolabel@127.0.0.1 PRIVMSG #general :labelled echo");
});
