/**
 * Hostile input through real sockets: line injection, tag escaping and forgery,
 * overlong lines, invalid UTF-8 and malformed lines. Every assertion is about what
 * a client observes on its socket.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { MB, SERVER, assertCleanStream, closeAll, closesWithin, linesSince, parseLine, registerTapped, rss, sync, type Tap } from "./helpers.js";

let server: TestServer;
let seq = 0;

before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

interface Room {
  readonly channel: string;
  readonly sender: RawClient;
  readonly senderNick: string;
  readonly senderTap: Tap;
  readonly receiver: RawClient;
  readonly receiverNick: string;
  readonly receiverTap: Tap;
  /** `nick!~nick@127.0.0.1` of the sender. */
  readonly senderMask: string;
  /** The sender says `marker-N` in the channel; resolves once the receiver has it. */
  marker(): Promise<void>;
  /** Receiver's stream offset: lines after it are what the next action caused. */
  mark(): number;
  close(): void;
}

/** A fresh channel the sender created (so the sender is its operator) with the receiver in it. */
async function room(caps: { sender?: readonly string[]; receiver?: readonly string[] } = {}): Promise<Room> {
  const n = ++seq;
  const channel = `#inj${n}`;
  const senderNick = `snd${n}`;
  const receiverNick = `rcv${n}`;
  const { client: sender, tap: senderTap } = await registerTapped(server.port, senderNick, caps.sender ?? []);
  const { client: receiver, tap: receiverTap } = await registerTapped(server.port, receiverNick, caps.receiver ?? []);
  sender.send(`JOIN ${channel}`);
  await sender.waitFor((line) => line.includes(` 366 ${senderNick} ${channel} `));
  receiver.send(`JOIN ${channel}`);
  await receiver.waitFor((line) => line.includes(` 366 ${receiverNick} ${channel} `));
  await sender.waitFor((line) => line.startsWith(`:${receiverNick}!`) && line.includes(` JOIN ${channel}`));
  let markers = 0;
  return {
    channel,
    sender,
    senderNick,
    senderTap,
    receiver,
    receiverNick,
    receiverTap,
    senderMask: `${senderNick}!~${senderNick}@127.0.0.1`,
    async marker() {
      const text = `marker-${n}-${++markers}`;
      sender.send(`PRIVMSG ${channel} :${text}`);
      await receiver.waitFor((line) => line.endsWith(` PRIVMSG ${channel} :${text}`));
    },
    mark: () => receiverTap.text().length,
    close: () => closeAll(sender, receiver),
  };
}

/** Lines since `from`, without the marker lines. */
function observed(r: Room, from: number): string[] {
  return linesSince(r.receiverTap, from).filter((line) => !/ PRIVMSG #inj\d+ :marker-\d+-\d+$/.test(line));
}

const SEPARATORS: ReadonlyArray<[string, string]> = [
  ["bare CR", "\r"],
  ["bare LF", "\n"],
  ["CRLF", "\r\n"],
  ["CR CR", "\r\r"],
  ["LF CR", "\n\r"],
];

// ── line injection ─────────────────────────────────────────────────────────

test("PRIVMSG/NOTICE text with CR, LF or CRLF+KILL never gives another client an extra line", async () => {
  const r = await room();
  try {
    for (const command of ["PRIVMSG", "NOTICE"]) {
      for (const [name, separator] of SEPARATORS) {
        const from = r.mark();
        r.sender.sendBytes(`${command} ${r.channel} :hello${separator}KILL ${r.receiverNick} :pwned\r\n`);
        // The rest of the line is a separate command from the sender: KILL, refused to a non-operator.
        await r.sender.waitFor((line) => line.startsWith(`:${SERVER} 481 ${r.senderNick} `), 3000);
        await r.marker();
        assert.deepEqual(observed(r, from), [`:${r.senderMask} ${command} ${r.channel} :hello`], `${command} with ${name}`);
      }
    }
    assert.equal(r.receiver.isClosed, false, "the receiver was not killed");
    assertCleanStream(r.receiverTap.text(), "receiver");
    assert.equal(r.receiverTap.text().includes("pwned"), false);
  } finally {
    r.close();
  }
});

test("a NUL byte in message text never reaches another client", async () => {
  const r = await room();
  try {
    const from = r.mark();
    r.sender.sendBytes(`PRIVMSG ${r.channel} :a\u0000b\r\n`);
    r.sender.sendBytes(`PRIVMSG ${r.channel} :\u0000KILL ${r.receiverNick} :pwned\r\n`);
    await r.marker();
    const seen = observed(r, from);
    // Relayed with the NUL neutralised, or refused: either way one line at most per message.
    assert.ok(seen.length <= 2, `at most the two messages: ${JSON.stringify(seen)}`);
    for (const line of seen) assert.match(line, new RegExp(`^:${r.senderMask} PRIVMSG ${r.channel} :`));
    assertCleanStream(r.receiverTap.text(), "receiver");
    assert.equal(r.receiver.isClosed, false);
  } finally {
    r.close();
  }
});

test("TOPIC with CR/LF sets only the text before it; the rest is the sender's own command", async () => {
  const r = await room();
  try {
    for (const [name, separator] of SEPARATORS) {
      const from = r.mark();
      r.sender.sendBytes(`TOPIC ${r.channel} :topic ${name}${separator}KILL ${r.receiverNick} :pwned\r\n`);
      await r.sender.waitFor((line) => line.startsWith(`:${SERVER} 481 `), 3000);
      await r.marker();
      assert.deepEqual(observed(r, from), [`:${r.senderMask} TOPIC ${r.channel} :topic ${name}`], name);
    }
    r.receiver.send(`TOPIC ${r.channel}`);
    assert.equal(await r.receiver.waitFor(/ 332 /), `:${SERVER} 332 ${r.receiverNick} ${r.channel} :topic LF CR`);
    assertCleanStream(r.receiverTap.text(), "receiver");
  } finally {
    r.close();
  }
});

test("AWAY with CR/LF: away-notify, RPL_AWAY and WHOIS carry only the text before it", async () => {
  const r = await room({ receiver: ["away-notify"] });
  try {
    const from = r.mark();
    r.sender.sendBytes(`AWAY :gone fishing\rKILL ${r.receiverNick} :pwned\r\n`);
    await r.sender.waitFor(/ 306 /);
    await r.sender.waitFor(/ 481 /);
    await r.marker();
    assert.deepEqual(observed(r, from), [`:${r.senderMask} AWAY :gone fishing`]);
    r.receiver.send(`PRIVMSG ${r.senderNick} :are you there?`);
    assert.equal(await r.receiver.waitFor(/ 301 /), `:${SERVER} 301 ${r.receiverNick} ${r.senderNick} :gone fishing`);
    r.receiver.send(`WHOIS ${r.senderNick}`);
    await r.receiver.waitFor(/ 318 /);
    assertCleanStream(r.receiverTap.text(), "receiver");
    assert.equal(r.receiverTap.text().includes("pwned"), false);
  } finally {
    r.close();
  }
});

test("KICK reason with CR/LF: the kicked user and the channel see one KICK with the text before it", async () => {
  const r = await room();
  const n = ++seq;
  const { client: victim, tap: victimTap } = await registerTapped(server.port, `vic${n}`);
  try {
    for (const [name, separator] of SEPARATORS) {
      victim.send(`JOIN ${r.channel}`);
      await victim.waitFor((line) => line.includes(` 366 vic${n} ${r.channel} `));
      await r.marker();
      const from = r.mark();
      const victimFrom = victimTap.text().length;
      r.sender.sendBytes(`KICK ${r.channel} vic${n} :bye ${name}${separator}KILL ${r.receiverNick} :pwned\r\n`);
      await r.sender.waitFor(/ 481 /, 3000);
      await r.marker();
      const kick = `:${r.senderMask} KICK ${r.channel} vic${n} :bye ${name}`;
      assert.deepEqual(observed(r, from), [kick], name);
      await victim.waitFor((line) => line === kick);
      await sync(victim);
      assert.deepEqual(
        linesSince(victimTap, victimFrom).filter((line) => line.startsWith(`:${r.senderNick}!`) && !/ :marker-\d+-\d+$/.test(line)),
        [kick],
        `the victim sees only the KICK (${name})`,
      );
    }
    assertCleanStream(r.receiverTap.text(), "receiver");
    assertCleanStream(victimTap.text(), "victim");
  } finally {
    r.close();
    closeAll(victim);
  }
});

test("QUIT reason with CR/LF: others see one QUIT with the text before it, nothing after", async () => {
  for (const [name, separator] of SEPARATORS) {
    const r = await room();
    try {
      const from = r.mark();
      r.sender.sendBytes(`QUIT :bye ${name}${separator}PRIVMSG ${r.channel} :after quit\r\n`);
      assert.equal(await r.sender.waitFor(/^ERROR /), `ERROR :Closing link: 127.0.0.1 (Quit: bye ${name})`);
      const quit = `:${r.senderMask} QUIT :Quit: bye ${name}`;
      await r.receiver.waitFor((line) => line === quit);
      await sync(r.receiver);
      assert.deepEqual(
        linesSince(r.receiverTap, from).filter((line) => line.startsWith(`:${r.senderNick}!`)),
        [quit],
        name,
      );
      assertCleanStream(r.receiverTap.text(), "receiver");
    } finally {
      r.close();
    }
  }
});

test("a realname (USER) or SETNAME with CR/LF keeps only the text before it", async () => {
  const r = await room({ receiver: ["extended-join", "setname"] });
  const n = ++seq;
  const nick = `real${n}`;
  const client = await RawClient.connect(server.port);
  try {
    const from = r.mark();
    client.send(`NICK ${nick}`);
    client.sendBytes(`USER ${nick} 0 * :Real Name\rKILL ${r.receiverNick} :pwned\r\n`);
    await client.waitFor(/ (376|422) /);
    await client.waitFor(/ 481 /);
    client.send(`JOIN ${r.channel}`);
    const join = `:${nick}!~${nick}@127.0.0.1 JOIN ${r.channel} * :Real Name`;
    await r.receiver.waitFor((line) => line === join);
    r.receiver.send(`WHOIS ${nick}`);
    assert.equal(await r.receiver.waitFor(/ 311 /), `:${SERVER} 311 ${r.receiverNick} ${nick} ~${nick} 127.0.0.1 * :Real Name`);
    client.sendBytes(`SETNAME :New Name\nKILL ${r.receiverNick} :pwned\r\n`);
    const setname = `:${nick}!~${nick}@127.0.0.1 SETNAME :New Name`;
    await r.receiver.waitFor((line) => line === setname);
    await client.waitFor(/ 481 /);
    client.send(`PRIVMSG ${r.channel} :done`);
    await r.receiver.waitFor((line) => line.endsWith(" :done"));
    const fromClient = linesSince(r.receiverTap, from).filter((line) => line.startsWith(`:${nick}!`) && !/ JOIN #general/.test(line));
    assert.deepEqual(fromClient, [join, setname, `:${nick}!~${nick}@127.0.0.1 PRIVMSG ${r.channel} :done`]);
    assertCleanStream(r.receiverTap.text(), "receiver");
    assert.equal(r.receiver.isClosed, false);
  } finally {
    r.close();
    closeAll(client);
  }
});

test("a NUL in a channel key or ban mask cannot add parameters to the MODE line others see", async () => {
  const r = await room();
  try {
    const from = r.mark();
    r.sender.sendBytes(`MODE ${r.channel} +kl a\u0000b 10\r\n`);
    r.sender.sendBytes(`MODE ${r.channel} +bl x\u0000y 11\r\n`);
    await r.marker();
    for (const line of observed(r, from)) {
      const parsed = parseLine(line);
      assert.equal(parsed.command, "MODE", line);
      // [#channel, modestring, one parameter per parameter-taking letter]
      const letters = (parsed.params[1] ?? "").replace(/[+-]/g, "");
      assert.equal(parsed.params.length, 2 + letters.length, `a MODE line with an injected parameter: ${JSON.stringify(line)}`);
    }
    assertCleanStream(r.receiverTap.text(), "receiver");
  } finally {
    r.close();
  }
});

test("a ban mask with spaces cannot shift the parameters of RPL_BANLIST (367) that others read", async () => {
  const r = await room();
  try {
    // The trailing parameter may hold spaces; a mask must not carry them into numerics.
    r.sender.send(`MODE ${r.channel} +b :x!*@* spoofed-setter`);
    r.sender.send(`MODE ${r.channel} +bb plain :second one`);
    await r.marker();
    r.receiver.send(`MODE ${r.channel} +b`);
    await r.receiver.waitFor(/ 368 /);
    const entries = r.receiver.lines.filter((line) => / 367 /.test(line));
    assert.ok(entries.length >= 1, "the plain ban is listed");
    for (const line of entries) {
      const params = parseLine(line).params;
      // <client> <channel> <mask> <setter> <set-at>
      assert.equal(params.length, 5, `RPL_BANLIST with shifted parameters: ${JSON.stringify(line)}`);
      assert.equal(params[3], r.senderNick, `the setter is the real one: ${JSON.stringify(line)}`);
      assert.match(params[4]!, /^\d+$/);
    }
  } finally {
    r.close();
  }
});

// ── tags ───────────────────────────────────────────────────────────────────

function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => (c === ":" ? ";" : c === "s" ? " " : c === "r" ? "\r" : c === "n" ? "\n" : c));
}

test("client tag values with CR, LF, ';', space and '\\' are escaped when relayed", async () => {
  const r = await room({ sender: ["message-tags"], receiver: ["message-tags"] });
  const n = ++seq;
  const { client: plain, tap: plainTap } = await registerTapped(server.port, `plain${n}`);
  try {
    plain.send(`JOIN ${r.channel}`);
    await plain.waitFor(/ 366 /);
    await r.marker();
    const from = r.mark();
    const plainFrom = plainTap.text().length;
    r.sender.send(`@+example.com/x=a\\sb\\:c\\\\d\\re\\nf;+empty=;+trail=abc\\;+odd=\\b\\q PRIVMSG ${r.channel} :tagged`);
    await r.marker();
    const [line, ...rest] = observed(r, from);
    assert.deepEqual(rest, []);
    assert.ok(line, "the tagged message was relayed");
    const parsed = parseLine(line);
    assert.equal(parsed.command, "PRIVMSG");
    assert.deepEqual(parsed.params, [r.channel, "tagged"]);
    assert.equal(parsed.tags.get("+example.com/x"), "a\\sb\\:c\\\\d\\re\\nf", "escaped on the wire");
    assert.equal(unescapeTag(parsed.tags.get("+example.com/x")!), "a b;c\\d\re\nf", "same value after unescaping");
    assert.equal(unescapeTag(parsed.tags.get("+trail") ?? "missing"), "abc");
    assert.equal(unescapeTag(parsed.tags.get("+odd") ?? "missing"), "bq");
    assert.ok(!/[ \r\n\0]/.test(parsed.rawTags), "no raw space, CR, LF or NUL in the tag section");
    // A client that did not ask for message-tags gets the message without any tag.
    await plain.waitFor((l) => l.endsWith(` PRIVMSG ${r.channel} :marker-${r.channel.slice(4)}-2`));
    const plainLines = linesSince(plainTap, plainFrom).filter((l) => l.includes(":tagged"));
    assert.deepEqual(plainLines, [`:${r.senderMask} PRIVMSG ${r.channel} :tagged`]);
    assertCleanStream(r.receiverTap.text(), "receiver");
  } finally {
    r.close();
    closeAll(plain);
  }
});

test("a NUL inside a client tag value is never relayed raw", async () => {
  const r = await room({ sender: ["message-tags"], receiver: ["message-tags"] });
  try {
    const from = r.mark();
    r.sender.sendBytes(`@+example.com/nul=a\u0000b PRIVMSG ${r.channel} :nul tag\r\n`);
    await r.marker();
    for (const line of observed(r, from)) assert.ok(!line.includes("\u0000"), `NUL relayed: ${JSON.stringify(line)}`);
    assertCleanStream(r.receiverTap.text(), "receiver");
  } finally {
    r.close();
  }
});

test("a client cannot forge server tags: time, msgid, account, batch and label are the server's", async () => {
  const r = await room({ sender: ["message-tags"], receiver: ["message-tags", "server-time", "account-tag"] });
  try {
    const from = r.mark();
    r.sender.send(
      `@time=2000-01-01T00:00:00.000Z;msgid=forged-id;account=admin;batch=b1;label=l1;example.com/vendor=1;+ok=1 PRIVMSG ${r.channel} :forge`,
    );
    r.sender.send(`@+account=admin;+msgid=x PRIVMSG ${r.channel} :client tags are only client tags`);
    await r.marker();
    const [first, second, ...rest] = observed(r, from);
    assert.deepEqual(rest, []);
    assert.ok(first && second);
    const tags = parseLine(first).tags;
    assert.equal(parseLine(first).params[1], "forge");
    const time = tags.get("time");
    assert.ok(time && time !== "2000-01-01T00:00:00.000Z" && Math.abs(Date.parse(time) - Date.now()) < 60_000, `server time, got ${time}`);
    assert.ok(tags.get("msgid") && tags.get("msgid") !== "forged-id", `server msgid, got ${tags.get("msgid")}`);
    assert.equal(tags.has("account"), false, "the sender is not logged in: no account tag");
    assert.equal(tags.has("batch"), false);
    assert.equal(tags.has("label"), false);
    assert.equal(tags.has("example.com/vendor"), false, "unprefixed client tags are dropped");
    assert.equal(tags.get("+ok"), "1", "client-only tags travel");
    const secondTags = parseLine(second).tags;
    assert.equal(secondTags.has("account"), false);
    assert.equal(secondTags.get("+account"), "admin");
    assert.notEqual(secondTags.get("msgid"), "x");
  } finally {
    r.close();
  }
});

test("client-only tags from a client without message-tags are not relayed", async () => {
  const r = await room({ receiver: ["message-tags"] });
  try {
    const from = r.mark();
    r.sender.send(`@+example.com/x=1 PRIVMSG ${r.channel} :no cap`);
    await r.marker();
    const [line] = observed(r, from);
    assert.ok(line);
    assert.equal(parseLine(line).tags.has("+example.com/x"), false);
  } finally {
    r.close();
  }
});

test("what another client receives never has a tag section over 8191 bytes (or the sender gets 417)", async () => {
  const r = await room({ sender: ["message-tags"], receiver: ["message-tags", "server-time", "account-tag"] });
  try {
    // A client tag section of 8191 bytes ('@' and space included) is within the 8191 limit;
    // the server then adds its own tags (time, msgid) in front of it.
    const value = "v".repeat(8191 - "@+example.com/big=".length - 1);
    const from = r.mark();
    r.sender.send(`@+example.com/big=${value} PRIVMSG ${r.channel} :big tags`);
    await r.marker();
    const relayed = observed(r, from);
    if (relayed.length === 0) {
      await r.sender.waitFor(/ 417 /, 1000);
      return;
    }
    const [line] = relayed;
    const section = line!.startsWith("@") ? line!.indexOf(" ") + 1 : 0;
    assert.ok(section <= 8191, `relayed tag section is ${section} bytes (limit 8191 including '@' and the space)`);
  } finally {
    r.close();
  }
});

// ── overlong lines ─────────────────────────────────────────────────────────

test("a body of 510 bytes (512 with CRLF) is accepted; 511+ gets 417 and the connection keeps working", async () => {
  const r = await room();
  try {
    const exact = `PING ${"x".repeat(505)}`;
    assert.equal(Buffer.byteLength(exact), 510);
    r.sender.send(exact);
    // Accepted (no 417): the PONG comes back, cut to the 512 bytes a server line may have.
    const pong = await r.sender.waitFor((line) => line.includes(" PONG "));
    assert.match(pong, /x{400,}$/);
    assert.ok(Buffer.byteLength(pong) <= 510, `PONG line of ${Buffer.byteLength(pong)} bytes`);
    const from = r.mark();
    for (const length of [511, 513, 600, 4000, 8000]) {
      const line = `PRIVMSG ${r.channel} :${"y".repeat(length - `PRIVMSG ${r.channel} :`.length)}`;
      assert.equal(Buffer.byteLength(line), length);
      r.sender.send(line);
      assert.equal(await r.sender.waitFor(/ 417 /), `:${SERVER} 417 ${r.senderNick} :Input line was too long`, `body of ${length} bytes`);
      await sync(r.sender);
    }
    await r.marker();
    assert.deepEqual(observed(r, from), [], "nothing of the overlong lines was relayed");
  } finally {
    r.close();
  }
});

test("a tag section over 8191 bytes gets 417 and the connection keeps working", async () => {
  const r = await room({ sender: ["message-tags"] });
  try {
    for (const length of [8300, 9000, 20000]) {
      r.sender.send(`@+example.com/t=${"t".repeat(length)} PRIVMSG ${r.channel} :too many tags`);
      assert.match(await r.sender.waitFor(/ 417 /), / 417 snd\d+ :Input line was too long$/);
      await sync(r.sender);
    }
    const from = r.mark();
    await r.marker();
    assert.deepEqual(observed(r, from), []);
  } finally {
    r.close();
  }
});

test("the 8191-byte tag limit counts the '@' and the trailing space (IRCv3 message-tags)", async () => {
  const r = await room({ sender: ["message-tags"] });
  try {
    const prefix = "@+example.com/t=";
    // Whole tag section, '@' and space included: 8191 bytes is allowed, 8192 is not.
    const section = (bytes: number): string => `${prefix}${"t".repeat(bytes - prefix.length - 1)} `;
    assert.equal(section(8191).length, 8191);
    r.sender.send(`${section(8191)}PING fits`);
    await r.sender.waitFor((line) => / PONG /.test(line) && line.endsWith("fits"));
    r.sender.send(`${section(8192)}PING one-too-many`);
    r.sender.send("PING after");
    const reply = await r.sender.waitFor((line) => / 417 /.test(line) || line.endsWith("one-too-many") || line.endsWith("after"));
    assert.match(reply, / 417 /, "an 8192-byte tag section must be refused with 417");
  } finally {
    r.close();
  }
});

test("a 1 MB line without newline gets one 417, memory stays bounded, and the connection works after a newline", async () => {
  const r = await room();
  try {
    const before = rss();
    let peak = before;
    const chunk = Buffer.alloc(MB, "z");
    r.sender.sendBytes(Buffer.from(`PRIVMSG ${r.channel} :`));
    r.sender.sendBytes(chunk);
    await r.sender.waitFor(/ 417 /, 10_000);
    // Keep going: 4 MB more of the same line, still no newline.
    for (let i = 0; i < 4; i++) {
      r.sender.sendBytes(chunk);
      peak = Math.max(peak, rss());
    }
    r.sender.sendBytes("\r\n");
    await sync(r.sender, 10_000);
    peak = Math.max(peak, rss());
    const count417 = r.senderTap.text().split("\r\n").filter((line) => / 417 /.test(line)).length;
    assert.equal(count417, 1, "exactly one 417 for the whole overlong line");
    assert.ok(peak - before < 50 * MB, `RSS grew by ${((peak - before) / MB).toFixed(1)} MB`);
    const from = r.mark();
    await r.marker();
    assert.deepEqual(observed(r, from), []);
  } finally {
    r.close();
  }
});

// ── invalid UTF-8 and malformed lines ──────────────────────────────────────

test("invalid UTF-8 in a PRIVMSG gets FAIL PRIVMSG INVALID_UTF8 and nothing is relayed", async () => {
  const r = await room();
  try {
    const samples: Array<[string, number[]]> = [
      ["stray continuation/0xff", [0xff, 0xfe]],
      ["truncated sequence", [0xc3]],
      ["overlong '/'", [0xc0, 0xaf]],
      ["UTF-16 surrogate", [0xed, 0xa0, 0x80]],
      ["beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ];
    const from = r.mark();
    for (const [name, bytes] of samples) {
      r.sender.sendBytes(Buffer.concat([Buffer.from(`PRIVMSG ${r.channel} :bad `), Buffer.from(bytes), Buffer.from(" text\r\n")]));
      const fail = await r.sender.waitFor(/ FAIL /);
      assert.match(fail, new RegExp(`^:${SERVER.replace(/\./g, "\\.")} FAIL PRIVMSG INVALID_UTF8 :`), name);
    }
    await r.marker();
    assert.deepEqual(observed(r, from), [], "no invalid message was relayed");
    assert.equal(r.sender.isClosed, false);
  } finally {
    r.close();
  }
});

test("NUL bytes in the command or target do not break the connection or leak to others", async () => {
  const r = await room();
  try {
    const from = r.mark();
    r.sender.sendBytes(`PRI\u0000VMSG ${r.channel} :x\r\n`);
    r.sender.sendBytes(`PRIVMSG ${r.channel}\u0000 :x\r\n`);
    r.sender.sendBytes(`\u0000\u0000\u0000\r\n`);
    await sync(r.sender);
    await r.marker();
    assert.deepEqual(observed(r, from), []);
    assertCleanStream(r.senderTap.text(), "sender");
  } finally {
    r.close();
  }
});

test("empty lines, lines of spaces, a lone source or tag section, and 16+ params are harmless", async () => {
  const r = await room();
  try {
    const before = r.senderTap.text().length;
    r.sender.sendBytes("\r\n\r\n\n\n\r\r");
    r.sender.sendBytes("        \r\n");
    r.sender.sendBytes(":source\r\n");
    r.sender.sendBytes(":source    \r\n");
    r.sender.sendBytes("@\r\n");
    r.sender.sendBytes("@a=b\r\n");
    r.sender.sendBytes("@a=b :src\r\n");
    await sync(r.sender);
    assert.deepEqual(
      linesSince(r.senderTap, before).filter((line) => !/ PONG /.test(line)),
      [],
      "lines without a command are ignored silently",
    );
    // 20 parameters: the 15th takes the rest of the line; nothing crashes.
    const params = Array.from({ length: 20 }, (_, i) => `p${i + 1}`).join(" ");
    r.sender.send(`PING ${params}`);
    assert.match(await r.sender.waitFor(/ PONG /), / PONG \S+ p1$/);
    const from = r.mark();
    r.sender.send(`PRIVMSG ${r.channel} ${params}`);
    r.sender.send(`PRIVMSG ${r.channel} a b c d e f g h i j k l m n o p q r s t :last`);
    await r.marker();
    const seen = observed(r, from);
    assert.equal(seen.length, 2);
    assert.equal(seen[0], `:${r.senderMask} PRIVMSG ${r.channel} :p1`);
    assert.equal(seen[1], `:${r.senderMask} PRIVMSG ${r.channel} :a`);
    // A source prefix from the client is ignored, never used as the relayed source.
    const spoof = r.mark();
    r.sender.send(`:${r.receiverNick}!~${r.receiverNick}@127.0.0.1 PRIVMSG ${r.channel} :spoofed source`);
    await r.marker();
    assert.deepEqual(observed(r, spoof), [`:${r.senderMask} PRIVMSG ${r.channel} :spoofed source`]);
    assertCleanStream(r.receiverTap.text(), "receiver");
    assert.equal(r.sender.isClosed, false);
  } finally {
    r.close();
  }
});

test("a hostile client does not take the server down: others keep working", async () => {
  const r = await room();
  try {
    // Mixed garbage in one write: every kind of terminator, binary, huge and tiny lines.
    const garbage = Buffer.concat([
      Buffer.from("\r\n\0\0\r@;;;=;\r:\r@ \r PRIVMSG\r\n"),
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      Buffer.from("\r\nPING alive\r\n"),
    ]);
    r.sender.sendBytes(garbage);
    await r.sender.waitFor((line) => line.endsWith("alive"), 5000);
    assert.equal(await closesWithin(r.receiver, 100), false);
    await r.marker();
    assertCleanStream(r.receiverTap.text(), "receiver");
  } finally {
    r.close();
  }
});
