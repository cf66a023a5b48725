/**
 * NickServ, for clients without SASL or REGISTER: REGISTER, IDENTIFY (own nick and
 * another account), LOGOUT, SET PASSWORD, INFO, GHOST, DROP — and the rule that a
 * message to a service (it may hold a password) is never relayed nor stored.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliUserAdd, openFixture, openHomeStore } from "../support/account-server.js";
import { retryWhile } from "../support/wait.js";
import type { RawClient } from "../support/raw-client.js";
import { rawSync } from "../support/fixture.js";
import { chathistory, exchange, HISTORY_CAPS, textOf, type Line } from "../support/irc-lines.js";
import { registerAccount } from "../support/sasl.js";

/** Sends `text` to NickServ and returns its notices (all of them, up to a PING round trip). */
async function nickserv(client: RawClient, nick: string, text: string): Promise<string[]> {
  return notices(await exchange(client, `PRIVMSG NickServ :${text}`), nick);
}

/** `nickserv`, made again while the brute-force back-off of an earlier failure refuses it. */
function nickservPastBackoff(client: RawClient, nick: string, text: string): Promise<string[]> {
  return retryWhile(() => nickserv(client, nick, text), (reply) => reply.some((line) => /^Too many (failed )?attempts; try again/.test(line)));
}

/** `exchange`, made again while the brute-force back-off of an earlier failure refuses it. */
function exchangePastBackoff(client: RawClient, nick: string, line: string): Promise<Line[]> {
  return retryWhile(() => exchange(client, line), (lines) => notices(lines, nick).some((text) => /^Too many (failed )?attempts; try again/.test(text)));
}

function notices(lines: readonly Line[], nick: string): string[] {
  return lines.filter((l) => l.command === "NOTICE" && l.source.startsWith("NickServ!") && l.params[0] === nick).map(textOf);
}

test("NickServ REGISTER, INFO, LOGOUT (901), IDENTIFY with the nick's account, IDENTIFY while logged in, wrong password", async (t) => {
  const fx = await openFixture(t);
  const carol = await fx.raw("carol");

  const help = await nickserv(carol, "carol", "HELP");
  assert.ok(help.some((l) => /IDENTIFY \[account\] <password>/.test(l)));

  carol.send("PRIVMSG NickServ :REGISTER carols-secret-password");
  assert.equal(
    await carol.waitFor(/ NOTICE carol :/),
    ":NickServ!NickServ@services.cmymessage.local NOTICE carol :Your nick carol is registered; you are now logged in.",
  );
  assert.match(await carol.waitFor(/ 900 /), /^:cmymessage\.local 900 carol carol!~?carol@127\.0\.0\.1 carol :You are now logged in as carol$/);

  const info = await nickserv(carol, "carol", "INFO");
  assert.match(info[0] ?? "", /^carol was registered on \w{3}, \d{2} \w{3} \d{4} /);
  assert.deepEqual(await nickserv(carol, "carol", "INFO nobody-by-that-name"), ["nobody-by-that-name is not registered."]);

  carol.send("PRIVMSG NickServ :LOGOUT");
  assert.match(await carol.waitFor(/ 901 /), /^:cmymessage\.local 901 carol carol!~?carol@127\.0\.0\.1 :You are now logged out$/);
  assert.match(await carol.waitFor(/ NOTICE carol :/), /:You are now logged out\.$/);
  assert.deepEqual(await nickserv(carol, "carol", "LOGOUT"), ["You are not logged in."]);

  assert.deepEqual(await nickserv(carol, "carol", "IDENTIFY not the password"), ["Invalid account or password."]);
  const identified = await exchangePastBackoff(carol, "carol", "PRIVMSG NickServ :IDENTIFY carols-secret-password");
  assert.deepEqual(notices(identified, "carol"), ["You are now logged in as carol."]);
  assert.deepEqual(identified.filter((l) => l.command === "900").map((l) => l.params[2]), ["carol"]);
  assert.deepEqual(await nickserv(carol, "carol", "IDENTIFY carols-secret-password"), ["You are already logged in as carol."]);
  carol.send("WHOIS carol");
  assert.equal(await carol.waitFor(/ 330 /), ":cmymessage.local 330 carol carol carol :is logged in as");
});

test("NickServ IDENTIFY <account> <password> logs in to another account than the nick; WHOIS shows it", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "dave", "daves secret password", { quit: true });
  const c = await fx.raw("notdave");
  const watcher = await fx.raw("watcher");
  const lines = await exchange(c, "PRIVMSG NickServ :IDENTIFY dave daves secret password");
  assert.deepEqual(notices(lines, "notdave"), ["You are now logged in as dave."]);
  assert.match(lines.find((l) => l.command === "900")?.raw ?? "", / 900 notdave notdave!~?notdave@127\.0\.0\.1 dave :/);
  watcher.send("WHOIS notdave");
  assert.equal(await watcher.waitFor(/ 330 /), ":cmymessage.local 330 watcher notdave dave :is logged in as");
});

test("NickServ REGISTER with a password of several words does not silently keep only its first word", async (t) => {
  const fx = await openFixture(t);
  const c = await fx.raw("phrase");
  // "REGISTER <password> [email]": the second word is taken as an e-mail address without any check.
  const reply = await nickserv(c, "phrase", "REGISTER correcthorse battery staple");
  if (reply.some((l) => /is registered/.test(l))) {
    await nickserv(c, "phrase", "LOGOUT");
    assert.deepEqual(
      await nickserv(c, "phrase", "IDENTIFY phrase correcthorse battery staple"),
      ["You are now logged in as phrase."],
      "registered, but not with the password the user typed (it kept 'correcthorse' and took 'battery' as an e-mail address)",
    );
  } else assert.match(reply.join(" "), /e-?mail|Syntax|password/i);
});

test("NickServ SET PASSWORD <current> <new>: a common password is refused; the new one works and the old one no longer does", async (t) => {
  const fx = await openFixture(t);
  const erin = await registerAccount(fx, "erin", "erins-first-password");
  assert.deepEqual(await nickserv(erin, "erin", "SET PASSWORD erins-first-password password123"), [
    "Password not changed: That password is one of the most common passwords; choose another.",
  ]);
  // The new password is the rest of the line: a pass phrase keeps its spaces.
  assert.deepEqual(await nickserv(erin, "erin", "SET PASSWORD erins-first-password erins second  password"), ["Your password has been changed."]);
  await nickserv(erin, "erin", "LOGOUT");
  assert.deepEqual(await nickserv(erin, "erin", "IDENTIFY erin erins-first-password"), ["Invalid account or password."]);
  assert.deepEqual(await nickservPastBackoff(erin, "erin", "IDENTIFY erin erins second  password"), ["You are now logged in as erin."]);
  // Not logged in: no password to set.
  const guest = await fx.raw("guest");
  assert.deepEqual(await nickserv(guest, "guest", "SET PASSWORD whatever password"), ["Log in first."]);
});

test("NickServ SET PASSWORD asks for the current password: a session alone (a token login, an unattended client) cannot take the account for good", async (t) => {
  const fx = await openFixture(t);
  const olga = await registerAccount(fx, "olga", "olgas-own-password");
  // Before: "SET PASSWORD <new>" changed it, and the owner's password stopped working.
  assert.match((await nickserv(olga, "olga", "SET PASSWORD taken-over-password")).join(" "), /^Syntax: SET PASSWORD <current password> <new password>/);
  assert.deepEqual(await nickserv(olga, "olga", "SET PASSWORD a-wrong-guess taken-over-password"), ["The current password is wrong; the password was not changed."]);
  await nickserv(olga, "olga", "LOGOUT");
  assert.deepEqual(await nickservPastBackoff(olga, "olga", "IDENTIFY olga olgas-own-password"), ["You are now logged in as olga."]);
});

test("NickServ IDENTIFY and DROP take the password as typed: runs of spaces and tabs are kept", async (t) => {
  const fx = await openFixture(t);
  const pia = await registerAccount(fx, "pia", "two  spaces\tand a tab");
  await nickserv(pia, "pia", "LOGOUT");
  // Before: the words were joined by single spaces, so this password never matched (and each try was a failure).
  assert.deepEqual(await nickserv(pia, "pia", "IDENTIFY pia two  spaces\tand a tab"), ["You are now logged in as pia."]);
  const dropped = await nickserv(pia, "pia", "DROP two  spaces\tand a tab");
  assert.match(dropped.join(" "), /has been dropped/);
});

test("NickServ IDENTIFY and REGISTER refuse a password in clear where SASL PLAIN is refused; so does the REGISTER command", async (t) => {
  const fx = await openFixture(t, { auth: { plaintextSaslFromLoopback: false } });
  await cliUserAdd(fx.home, "quinn", "quinns-password");
  const plain = await fx.raw("quinn");
  const refusal = "A password in clear needs a TLS connection: connect over TLS (or log in with SASL SCRAM-SHA-256).";
  // Before: IDENTIFY logged in and REGISTER created an account over plain text.
  assert.deepEqual(await nickserv(plain, "quinn", "IDENTIFY quinn quinns-password"), [refusal]);
  assert.deepEqual(unconsumedLoggedIn(plain), []);
  const newcomer = await fx.raw("rosa");
  assert.deepEqual(await nickserv(newcomer, "rosa", "REGISTER rosas-password"), [refusal]);
  const registered = await exchange(newcomer, "REGISTER rosa * rosas-password");
  assert.deepEqual(
    registered.filter((l) => l.command === "FAIL" || l.command === "REGISTER").map((l) => l.params.slice(0, 2)),
    [["REGISTER", "DISALLOWED"]],
  );
  assert.deepEqual(await nickserv(newcomer, "rosa", "INFO rosa"), ["rosa is not registered."]);
});

function unconsumedLoggedIn(client: RawClient): string[] {
  return client.lines.filter((l) => / 900 /.test(l));
}

test("NickServ GHOST disconnects someone on the account's nick; only the account's own nick may be ghosted", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "frank", "franks secret password", { quit: true });
  const ghost = await fx.raw("frank"); // e.g. a stale connection that never logged in
  const watcher = await fx.raw("watcher");
  const owner = await fx.raw("frank_");

  assert.deepEqual(await nickserv(owner, "frank_", "GHOST frank"), ["You may only ghost the nick of the account you are logged in to."]);
  await nickserv(owner, "frank_", "IDENTIFY frank franks secret password");
  assert.deepEqual(await nickserv(owner, "frank_", "GHOST watcher"), ["You may only ghost the nick of the account you are logged in to."]);
  assert.deepEqual(await nickserv(owner, "frank_", "GHOST frank"), ["frank has been disconnected."]);
  await ghost.closed;
  assert.match(await watcher.waitFor(/^:frank!\S+ QUIT /), /:Ghosted by frank_/);
  owner.send("NICK frank");
  assert.match(await owner.waitFor(/ NICK /), /^:frank_!\S+ NICK :?frank$/);
  assert.deepEqual(await nickserv(owner, "frank", "GHOST frank"), ["frank is not in use by anyone else."]);
});

test("NickServ DROP: a wrong password keeps the account; the right one deletes it (901), after which it is unknown and its name retired", async (t) => {
  const fx = await openFixture(t);
  const gina = await registerAccount(fx, "gina", "ginas secret password");
  assert.deepEqual(await nickserv(gina, "gina", "DROP wrong password"), ["Invalid password; the account was not dropped."]);
  // With the right password, a refusal can only be the back-off of the failure just made: try again.
  const dropped = await retryWhile(
    () => exchange(gina, "PRIVMSG NickServ :DROP ginas secret password"),
    (lines) => notices(lines, "gina").some((text) => /^Too many (failed )?attempts/.test(text)),
  );
  assert.deepEqual(notices(dropped, "gina"), ["The account gina has been dropped; the name cannot be registered again."]);
  assert.equal(dropped.filter((l) => l.command === "901").length, 1, "logged out of the dropped account");
  gina.send("WHOIS gina");
  await gina.waitFor(/ 318 /);
  assert.equal(gina.lines.filter((l) => / 330 /.test(l)).length, 0);
  assert.deepEqual(await nickserv(gina, "gina", "INFO"), ["gina is not registered."]);
  assert.deepEqual(await nickserv(gina, "gina", "IDENTIFY ginas secret password"), ["Invalid account or password."]);
  // What was kept under the name (files, direct messages, shares) must not pass to a new account.
  assert.deepEqual(await nickservPastBackoff(gina, "gina", "REGISTER ginas-new-password"), [
    "Registration failed: That nick belonged to an account that was dropped; it cannot be registered again.",
  ]);
});

test("a PRIVMSG to NickServ holding a password is never relayed to anyone nor stored", async (t) => {
  const fx = await openFixture(t);
  const secret = "hunter2-but-much-longer";
  const eve = await fx.raw("eve", { caps: [...HISTORY_CAPS] });
  const bystander = await fx.raw("bystander", { caps: [...HISTORY_CAPS] });
  const hal = await fx.raw("hal", { caps: [...HISTORY_CAPS] });
  hal.send(`PRIVMSG NickServ :REGISTER ${secret}`);
  await hal.waitFor(/ 900 /);
  await nickserv(hal, "hal", "LOGOUT");
  hal.send(`PRIVMSG NickServ :IDENTIFY ${secret}`);
  await hal.waitFor(/ 900 /);
  // A message to NickServ and #general at once: only the channel copy is a chat message.
  hal.send(`PRIVMSG nickserv,#general :SET PASSWORD ${secret}-2`);
  hal.send(`PRIVMSG NICKSERV :IDENTIFY hal ${secret}`);
  const channelCopy = `:hal!~hal@127.0.0.1 PRIVMSG #general :SET PASSWORD ${secret}-2`;
  // Messages are stored and delivered in the background of later lines: wait for the copies themselves.
  for (const c of [eve, bystander, hal]) await c.waitFor((l) => l.endsWith(channelCopy));
  await nickserv(hal, "hal", "INFO");
  for (const c of [eve, bystander, hal]) await rawSync(c);
  for (const c of [eve, bystander]) assert.deepEqual(c.lines.filter((l) => l.includes(secret)), [], "relayed to a client");
  // hal asked for echo-message: its own lines to NickServ come back to it (as Ergo does), and nothing else holding the password.
  const echoes = hal.lines.filter((l) => l.includes(secret));
  assert.ok(echoes.length > 0, "the sender's own lines are echoed to it");
  for (const line of echoes) assert.match(line, /^@\S+ :hal!~hal@127\.0\.0\.1 PRIVMSG NickServ :/i, "only the sender's echoes hold the password");

  const toNickServ = await chathistory(hal, "LATEST NickServ * 100");
  if (toNickServ.ok) assert.deepEqual(toNickServ.messages, [], "no NickServ conversation in history");
  const targets = await chathistory(hal, "TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 100");
  assert.ok(targets.ok);
  assert.deepEqual(targets.messages.map((l) => l.params[1]), ["#general"]);

  // And in the database itself: only the message hal chose to send to #general.
  const store = await openHomeStore(fx.home);
  const rows = await store.db.selectFrom("messages").select(["target", "text"]).execute();
  assert.deepEqual(
    rows.filter((r) => r.text.includes(secret)),
    [{ target: "#general", text: `SET PASSWORD ${secret}-2` }],
  );
});

test("the service nicks NickServ and ChanServ cannot be taken (433), at registration or later, in any case", async (t) => {
  const fx = await openFixture(t);
  const early = await fx.rawConnect();
  early.send("NICK NickServ");
  assert.match(await early.waitFor(/ 433 /), / 433 \* NickServ :/);
  early.send("NICK chanserv");
  assert.match(await early.waitFor(/ 433 /), / 433 \* chanserv :/);

  const c = await fx.raw("someone");
  for (const nick of ["ChanServ", "NICKSERV", "nickserv"]) {
    c.send(`NICK ${nick}`);
    assert.match(await c.waitFor(/ 433 /), new RegExp(` 433 someone ${nick} :`));
  }
  c.send("WHOIS NickServ");
  await c.waitFor(/ 318 /);
});
