/**
 * SASL PLAIN on IRC: a client library over TLS, then the protocol's edges with raw
 * clients (failures, refusals, abort, 907/908/905 and 400-byte chunking).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, createHome, cliUserAdd } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { parseLine, SERVER_TIME, say } from "../support/irc-lines.js";
import { retryWhile } from "../support/wait.js";
import { AUTHENTICATE_LINE, connectWithPlain, plainPayload, registerAccount, saslPlain, sendAuthenticateData, startMechanism } from "../support/sasl.js";

interface BatchCommand {
  command: string;
  params: string[];
  tags: Record<string, string>;
  prefix?: string;
  nick?: string;
}
interface BatchEvent {
  id: string;
  type: string;
  params: string[];
  commands: BatchCommand[];
}

test("an irc-framework client logs in with SASL PLAIN over TLS, WHOIS shows 330, and CHATHISTORY LATEST #general returns the earlier messages", async (t) => {
  const home = await createHome(t);
  // The account is made by an operator with the CLI before the server starts.
  const added = await cliUserAdd(home, "alice", "correct horse battery");
  assert.match(added, /added account alice/);
  const fx = await openFixture(t, { irc: { tlsListen: ["127.0.0.1:0"] } }, { home });
  assert.ok(fx.tlsPort > 0);

  // Earlier conversation in #general; bob's echoes give each message's msgid and time as delivered live.
  const bob = await fx.raw("bob", { caps: ["echo-message", "message-tags", "server-time"] });
  const sent = [];
  for (const text of ["first words", "second: with a colon", "third ☕ message"]) sent.push(await say(bob, "#general", text));

  const alice = await fx.library("alice", { tls: true, account: { account: "alice", password: "correct horse battery" }, caps: ["draft/chathistory"] });
  const loggedIn = parseLine(await alice.waitRaw(/ 900 /));
  assert.equal(loggedIn.params[0], "alice");
  assert.match(loggedIn.params[1]!, /^alice!~?alice@127\.0\.0\.1$/);
  assert.equal(loggedIn.params[2], "alice");
  await alice.waitRaw(/ 903 alice :SASL authentication successful$/);
  assert.ok(alice.client.network.cap.isEnabled("sasl"));
  assert.ok(alice.client.network.cap.isEnabled("draft/chathistory"));

  // WHOIS, both from the library and from another client, shows the account.
  const whois = alice.next<{ nick: string; account?: string; secure?: boolean }>("whois", (e) => e.nick === "alice");
  alice.client.whois("alice");
  const info = await whois;
  assert.equal(info.account, "alice");
  assert.equal(info.secure, true);
  bob.send("WHOIS alice");
  assert.equal(await bob.waitFor(/ 330 /), ":cmymessage.local 330 bob alice alice :is logged in as");

  const batch = alice.next<BatchEvent>("batch end chathistory");
  alice.client.raw("CHATHISTORY", "LATEST", "#general", "*", "10");
  const history = await batch;
  assert.equal(history.type, "chathistory");
  assert.deepEqual(history.params, ["#general"]);
  const messages = history.commands.filter((c) => c.command === "PRIVMSG");
  assert.deepEqual(
    messages.map((c) => c.params[1]),
    sent.map((s) => s.text),
  );
  for (const [i, message] of messages.entries()) {
    assert.equal(message.params[0], "#general");
    assert.equal(message.nick, "bob");
    assert.match(message.tags["time"] ?? "", SERVER_TIME);
    assert.equal(message.tags["msgid"], sent[i]!.msgid, "history keeps the msgid the message had live");
    assert.equal(message.tags["time"], sent[i]!.time, "history keeps the time the message had live");
  }
});

test("SASL PLAIN: a wrong password and an unknown account get the same 904, and neither logs in", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "carol", "carols long password", { quit: true });

  const wrong = await fx.rawConnect();
  wrong.send("CAP LS 302");
  wrong.send("CAP REQ :sasl");
  const wrongResult = await saslPlain(wrong, "carol", "not carols password");
  const unknown = await fx.rawConnect({ localAddress: "127.0.0.2" });
  unknown.send("CAP LS 302");
  unknown.send("CAP REQ :sasl");
  const unknownResult = await saslPlain(unknown, "nobody-here", "not carols password");

  assert.equal(wrongResult.command, "904");
  assert.equal(wrongResult.raw, ":cmymessage.local 904 * :SASL authentication failed: Invalid account or password");
  assert.equal(unknownResult.raw, wrongResult.raw);
  for (const [i, client] of [wrong, unknown].entries()) {
    assert.equal(client.lines.filter((l) => / 90[03] /.test(l)).length, 0);
    // The failed client can still register, as a guest without an account.
    client.send(`NICK guest${i}`);
    client.send(`USER guest${i} 0 * :g`);
    client.send("CAP END");
    await client.waitFor(/ 001 /);
    client.send(`WHOIS guest${i}`);
    await client.waitFor(/ 318 /);
    assert.equal(client.lines.filter((l) => / 330 /.test(l)).length, 0);
  }
  // And the right password still works afterwards (the failures only back off briefly:
  // an attempt inside the back-off is refused without counting, and made again).
  const after = await fx.rawConnect();
  after.send("CAP LS 302");
  after.send("CAP REQ :sasl");
  await after.waitFor(/ CAP \S+ ACK /);
  const result = await retryWhile(() => saslPlain(after, "carol", "carols long password"), (end) => /Too many failed attempts/.test(end.raw));
  assert.equal(result.command, "903");
});

test("SASL PLAIN is refused on plain TCP when plaintextSaslFromLoopback is off, accepted over TLS; on by default for loopback", async (t) => {
  const strict = await openFixture(t, { auth: { plaintextSaslFromLoopback: false }, irc: { tlsListen: ["127.0.0.1:0"] } });
  // Made by the operator: REGISTER over plain TCP is refused here too (a password in clear).
  await cliUserAdd(strict.home, "dave", "daves long password");

  const plain = await strict.rawConnect();
  plain.send("CAP LS 302");
  plain.send("CAP REQ :sasl");
  const refused = await saslPlain(plain, "dave", "daves long password");
  assert.equal(refused.raw, ":cmymessage.local 904 * :SASL authentication failed: SASL PLAIN needs a TLS connection");
  assert.equal(plain.lines.filter((l) => AUTHENTICATE_LINE.test(l)).length, 0, "no AUTHENTICATE + before the refusal: the password was never asked for");

  const secure = await connectWithPlain(strict, "dave", "dave", "daves long password", { tls: true });
  assert.equal(secure.result.command, "903");

  // Default configuration: loopback counts as safe.
  const relaxed = await openFixture(t);
  await registerAccount(relaxed, "erin", "erins long password", { quit: true });
  const local = await connectWithPlain(relaxed, "erin", "erin", "erins long password");
  assert.equal(local.result.command, "903");
  local.client.send("WHOIS erin");
  assert.match(await local.client.waitFor(/ 330 /), / 330 erin erin erin :is logged in as$/);
});

test("SASL: AUTHENTICATE * aborts with 906, 907 once logged in, an unknown mechanism gets 908 and 904", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "frank", "franks long password", { quit: true });
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");
  c.send("NICK frank");
  c.send("USER frank 0 * :frank");
  await c.waitFor(/ ACK /);

  const unknown = await startMechanism(c, "X-MADE-UP");
  assert.ok("end" in unknown);
  const mechs = await c.waitFor(/ 908 /);
  assert.equal(mechs, ":cmymessage.local 908 frank PLAIN,SCRAM-SHA-256 :are available SASL mechanisms");
  assert.equal(unknown.end.command, "904");
  // 908 comes before the 904.
  assert.match(unknown.end.raw, /^:cmymessage\.local 904 frank :SASL authentication failed/);

  const started = await startMechanism(c, "PLAIN");
  assert.deepEqual(started, { data: "+" });
  c.send("AUTHENTICATE *");
  assert.equal(await c.waitFor(/ 906 /), ":cmymessage.local 906 frank :SASL authentication aborted");

  // After an abort a new exchange starts cleanly.
  const ok = await saslPlain(c, "frank", "franks long password");
  assert.equal(ok.raw, ":cmymessage.local 903 frank :SASL authentication successful");
  c.send("AUTHENTICATE PLAIN");
  assert.equal(await c.waitFor(/ 907 /), ":cmymessage.local 907 frank :You have already authenticated using SASL");
  c.send("CAP END");
  await c.waitFor(/ 001 /);
  c.send("AUTHENTICATE PLAIN");
  assert.match(await c.waitFor(/ 907 /), / 907 frank /);
  await rawSync(c);
  assert.equal(c.lines.filter((l) => AUTHENTICATE_LINE.test(l)).length, 0);
});

test("SASL: a response over the size limit gets 905, and the next exchange works", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "gina", "ginas long password", { quit: true });
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");
  assert.deepEqual(await startMechanism(c, "PLAIN"), { data: "+" });
  // 400-byte chunks that never end: the server must stop buffering at its limit (8 KiB decoded).
  const chunk = "QUFB".repeat(100);
  let sent = 0;
  const tooLong = c.waitFor(/ 905 /);
  while (sent < 40) {
    c.send(`AUTHENTICATE ${chunk}`);
    sent++;
  }
  assert.equal(await tooLong, ":cmymessage.local 905 * :SASL message too long");
  // The chunks after the 905 are not a new exchange's mechanism: at most they fail, they never log in.
  await rawSync(c);
  c.lines.length = 0;
  const ok = await saslPlain(c, "gina", "ginas long password");
  assert.equal(ok.command, "903");
});

test("SASL PLAIN: payloads of exactly 400 bytes (then '+'), of 400 + a remainder, and of several chunks are put back together", async (t) => {
  const fx = await openFixture(t);
  // name + NUL + name + NUL + password = 300 bytes → exactly 400 base64 characters.
  const exact = "e".repeat(300 - 2 - 2 * "hank".length);
  // A multi-byte password a REGISTER line can still carry: 400 + a remainder.
  const remainder = "пароль-".repeat(30); // 390 bytes
  // Longer than any IRC line can carry: made with the CLI (while the others register), ~1000 bytes → 4 chunks.
  const huge = "long-password-ünïcode-".repeat(40).slice(0, 950);
  assert.ok(Buffer.byteLength(huge) <= 1024 && Buffer.byteLength(huge) > 900);
  const cli = cliUserAdd(fx.home, "judy", huge);
  await registerAccount(fx, "hank", exact, { quit: true });
  await registerAccount(fx, "ivy", remainder, { quit: true });
  await cli;

  const cases: Array<[string, string, string]> = [
    ["hank", exact, "hank"],
    ["ivy", remainder, ""],
    ["judy", huge, ""],
  ];
  for (const [name, password, authzid] of cases) {
    const payload = plainPayload(name, password, authzid);
    const c = await fx.rawConnect();
    c.send("CAP LS 302");
    c.send("CAP REQ :sasl");
    assert.deepEqual(await startMechanism(c, "PLAIN"), { data: "+" });
    const lines = sendAuthenticateData(c, payload);
    const result = parseLine(await c.waitFor(/ 90[3-7] /, 10_000));
    assert.equal(result.command, "903", `${name}: ${payload.length} base64 characters in ${lines} lines → ${result.raw}`);
    if (name === "hank") assert.equal(payload.length, 400);
    c.close();
  }
});

test("SASL PLAIN: an authorization identity other than the account is refused", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "kate", "kates long password", { quit: true });
  await registerAccount(fx, "leo", "leos long password", { quit: true });
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  c.send("CAP REQ :sasl");
  const result = await saslPlain(c, "kate", "kates long password", "leo");
  assert.equal(result.command, "904");
  assert.equal(c.lines.filter((l) => / 900 /.test(l)).length, 0);
});
