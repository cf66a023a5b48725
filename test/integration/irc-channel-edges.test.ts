/**
 * Edges of channels and their lists over real sockets: short ban masks completed with
 * `*`, MAXLIST per list, channel names that only look like others or are too long in
 * bytes, a long CTCP ACTION cut over several lines, and SETNAME with an empty realname.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange, parseLine, textOf } from "../support/irc-lines.js";

async function rawJoin(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

/** The MODE change the server announced for `line`, e.g. "+b *!*@127.0.0.1". */
async function setMode(client: RawClient, channel: string, change: string): Promise<string> {
  const lines = await exchange(client, `MODE ${channel} ${change}`);
  const mode = lines.find((l) => l.command === "MODE");
  assert.ok(mode, lines.map((l) => l.raw).join("\n"));
  return mode.params.slice(1).join(" ");
}

test("a short ban mask stands for any in its missing or empty parts: @host, nick! and !user ban as *!*@host, nick!*@*, *!user@*", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#m3");
  assert.equal(await setMode(op, "#m3", "+b @127.0.0.1"), "+b *!*@127.0.0.1");
  assert.equal(await setMode(op, "#m3", "+b tB!"), "+b tB!*@*");
  assert.equal(await setMode(op, "#m3", "+b !user"), "+b *!user@*");
  assert.equal(await setMode(op, "#m3", "+b !~guest"), "+b *!~guest@*");
  assert.equal(await setMode(op, "#m3", "+b a!b@c"), "+b a!b@c", "a full mask is kept as written");

  // The host ban keeps out a user of that address.
  const tb = await fx.raw("tB");
  const joined = await exchange(tb, "JOIN #m3");
  assert.deepEqual(
    joined.filter((l) => ["474", "JOIN"].includes(l.command)).map((l) => l.command),
    ["474"],
    "tB from 127.0.0.1 got past +b @127.0.0.1",
  );
  // So does the nick ban once the host ban is gone, and the ban by username.
  await setMode(op, "#m3", "-b *!*@127.0.0.1");
  assert.ok((await exchange(tb, "JOIN #m3")).some((l) => l.command === "474"), "tB got past +b tB!");
  const guest = await fx.raw("guest");
  assert.ok((await exchange(guest, "JOIN #m3")).some((l) => l.command === "474"), "~guest got past +b !~guest");
});

test("ISUPPORT MAXLIST is per list: b, e and I each hold irc.maxListEntries", async (t) => {
  const fx = await setup(t, { irc: { maxListEntries: 2 } });
  const op = await fx.raw("op");
  const isupport = op.lines.filter((l) => / 005 /.test(l)).join(" ");
  assert.match(isupport, / MAXLIST=b:2,e:2,I:2 /);
  await rawJoin(op, "op", "#full");
  assert.equal(await setMode(op, "#full", "+bb one two"), "+bb one!*@* two!*@*");
  assert.equal(await setMode(op, "#full", "+ee three four"), "+ee three!*@* four!*@*", "a full ban list took room from the exceptions");
  assert.equal(await setMode(op, "#full", "+II five six"), "+II five!*@* six!*@*");
  const third = await exchange(op, "MODE #full +b seven");
  assert.ok(third.some((l) => l.command === "478"), third.map((l) => l.raw).join("\n"));
});

test("a channel name holding a control or format character, or longer than CHANNELLEN in bytes, gets 476 and creates nothing", async (t) => {
  const fx = await setup(t);
  const mallory = await fx.raw("mallory");
  const lookalikes = [
    ...["#gen\u200Beral", "#\u202Elareneg", "#gen\u2066eral\u2069", "#\uFEFFgeneral", "#gen\x02eral", "#gen\x03eral", "#gen\x7Feral", "#gen\u0085eral", "#gen\u00ADeral"],
    // Blank or invisible though not Cc/Cf (braille blank, Hangul fillers, variation selectors, the combining
    // grapheme joiner), a mark drawn on the '#', and "#café" spelt with a combining accent (a second "#café").
    ...["#gen\u2800eral", "#gen\u3164eral", "#\u115Fgeneral", "#gen\uFFA0eral", "#general\uFE0F", "#gen\u034Feral", "#gen\u17B4eral", "#\u0301general", "#cafe\u0301"],
    // Joiners where no spelling needs them: between Latin letters, after '#', two in a row.
    ...["#gen\u200Deral", "#gen\u200Ceral", "#\u200D\u2764", "#\u0915\u094D\u200D\u200D\u0937", "#1\uFE0F"],
  ];
  const tooLong = ["#" + "é".repeat(63), "#" + "😀".repeat(32), "#a" + "é".repeat(32)];
  for (const name of [...lookalikes, ...tooLong]) {
    const lines = await exchange(mallory, `JOIN ${name}`);
    assert.deepEqual(
      lines.filter((l) => ["476", "JOIN"].includes(l.command)).map((l) => l.command),
      ["476"],
      `JOIN ${JSON.stringify(name)} (${Buffer.byteLength(name)} bytes)`,
    );
  }
  const list = await exchange(mallory, "LIST");
  assert.deepEqual(list.filter((l) => l.command === "322").map((l) => l.params[1]), ["#general"]);

  // Within 64 bytes, in any script, a name is still fine.
  // So is a name whose spelling needs a joiner or an emoji's variation selector (RFC 5892 CONTEXTJ, emoji
  // sequences): "#❤️" as phone keyboards send it, an emoji ZWJ sequence, Persian with its ZWNJ, Devanagari with ZWJ.
  const spelt = ["#\u2764\uFE0F", "#\u{1F468}\u200D\u{1F4BB}", "#\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", "#\u0915\u094D\u200D\u0937"];
  for (const name of ["#a" + "é".repeat(31), "#" + "😀".repeat(15) + "ab", "#café", ...spelt]) {
    assert.equal(Buffer.byteLength(name) <= 64, true);
    await rawJoin(mallory, "mallory", name);
  }
});

test("a long CTCP ACTION cut over several lines keeps its framing: every line is an ACTION of its own", async (t) => {
  const fx = await setup(t);
  const nick = "n".repeat(30);
  const actor = await fx.raw(nick);
  const reader = await fx.raw("reader");
  await rawJoin(actor, nick, "#a");
  await rawJoin(reader, "reader", "#a");
  // 497 bytes: as long as the sender's own 512-byte line allows, too long once the server adds the source.
  const inner = Array.from({ length: 100 }, (_, i) => `word${String(i).padStart(2, "0")}`).join(" ").slice(0, 488);
  const text = `\x01ACTION ${inner}\x01`;
  assert.equal(Buffer.byteLength(`PRIVMSG #a :${text}\r\n`), 511);
  actor.send(`PRIVMSG #a :${text}`);
  // The pieces are written together: once the first is in, a PING's answer comes after the last.
  const first = parseLine(await reader.waitFor(/ PRIVMSG #a :/));
  const settled = await exchange(reader, "PING settle");
  const rest = [...reader.lines.splice(0).map(parseLine), ...settled].filter((l) => l.command === "PRIVMSG");
  const pieces = [first, ...rest].map(textOf);
  assert.ok(pieces.length > 1, "the message fit one line: the test no longer cuts it");
  for (const piece of pieces) assert.match(piece, /^\x01ACTION [^\x01]+\x01$/, JSON.stringify(piece));
  assert.equal(pieces.map((piece) => piece.slice("\x01ACTION ".length, -1)).join(""), inner, "the action's words, all of them, in order");
});

test("SETNAME with an empty realname gets FAIL SETNAME INVALID_REALNAME, as USER refuses one; the realname stays", async (t) => {
  const fx = await setup(t);
  const setter = await fx.raw("setter", ["setname"]);
  const lines = await exchange(setter, "SETNAME :");
  assert.deepEqual(
    lines.filter((l) => ["FAIL", "SETNAME"].includes(l.command)).map((l) => l.raw),
    [":cmymessage.local FAIL SETNAME INVALID_REALNAME :Realname may not be empty"],
  );
  const whois = await exchange(setter, "WHOIS setter");
  assert.equal(textOf(whois.find((l) => l.command === "311")!), "setter test");
});

test("AWAY that changes nothing tells nobody; JOIN naming no channel is 461; INVITE into a channel that does not exist (or a secret one, from outside) is 403; MONITOR takes a nick once", async (t) => {
  const fx = await setup(t);
  const watcher = await fx.raw("watcher", ["away-notify"]);
  const quiet = await fx.raw("quiet", ["away-notify"]);
  await rawJoin(watcher, "watcher", "#calm");
  await rawJoin(quiet, "quiet", "#calm");
  // Back when not away, twice: before, each went to every away-notify peer.
  const replies = [...(await exchange(quiet, "AWAY")), ...(await exchange(quiet, "AWAY"))];
  assert.deepEqual(replies.filter((line) => line.command === "305").length, 2, "the sender still hears 305");
  await exchange(watcher, "PING sync");
  assert.deepEqual(watcher.lines.filter((line) => /^:quiet!\S+ AWAY/.test(line)), [], "peers are told nothing");
  assert.equal((await exchange(quiet, "AWAY :lunch")).filter((line) => line.command === "306").length, 1);
  await watcher.waitFor(/^:quiet!\S+ AWAY :lunch$/);
  for (const line of ["JOIN :", "JOIN ,,,"]) {
    assert.deepEqual((await exchange(quiet, line)).filter((reply) => reply.command === "461").map((reply) => reply.params.at(-1)), ["Not enough parameters"], line);
  }
  const invite = await exchange(quiet, "INVITE watcher #nowhere");
  assert.deepEqual(invite.map((line) => line.command).filter((command) => command !== "PONG"), ["403"]);
  await rawJoin(watcher, "watcher", "#hidden");
  await setMode(watcher, "#hidden", "+s");
  const secret = await exchange(quiet, "INVITE watcher #hidden");
  assert.deepEqual(secret.map((line) => line.command).filter((command) => command !== "PONG"), ["403"], "a secret channel is not revealed by 442");
  assert.deepEqual(watcher.lines.filter((line) => /^:quiet!\S+ INVITE /.test(line)), [], "no invite reached anyone");
  const monitored = await exchange(quiet, "MONITOR + ghost1,GHOST1,ghost1,ghost2");
  assert.deepEqual(monitored.filter((line) => line.command === "731").map((line) => line.params.at(-1)), ["ghost1,ghost2"]);
});

test("topics and kick reasons reach members whole: TOPICLEN and KICKLEN are lowered to what one line holds with the longest nick, username, host and channel", async (t) => {
  // As the tester's server was configured: 390 each, which a 30-byte nick and a 64-byte channel cannot carry in 512 bytes.
  const fx = await setup(t, { irc: { topicLength: 390, kickLength: 390 } });
  const nick = "n".repeat(30);
  const channel = "#" + "c".repeat(63);
  const op = await fx.raw(nick);
  const member = await fx.raw("member");
  const isupport = op.lines.filter((l) => / 005 /.test(l)).join(" ");
  // Before: TOPICLEN=390 and KICKLEN=390, and the TOPIC and KICK lines members got were cut at 512 bytes.
  assert.match(isupport, / TOPICLEN=348 /);
  assert.match(isupport, / KICKLEN=318 /);
  await rawJoin(op, nick, channel);
  await rawJoin(member, "member", channel);
  const topic = "t".repeat(385) + "ENDX!";
  op.send(`TOPIC ${channel} :${topic}`);
  const relayed = parseLine(await member.waitFor(/ TOPIC /));
  assert.equal(textOf(relayed), topic.slice(0, 348), "the topic members see is the topic kept, whole");
  member.send(`TOPIC ${channel}`);
  assert.equal(textOf(parseLine(await member.waitFor(/ 332 /))), topic.slice(0, 348));
  const reason = "r".repeat(390);
  op.send(`KICK ${channel} member :${reason}`);
  const kick = parseLine(await member.waitFor(/ KICK /));
  assert.equal(textOf(kick), reason.slice(0, 318));
});
