/**
 * IRCv3 draft/account-registration: REGISTER before and after connection
 * registration, its FAIL codes, and VERIFY (nothing ever needs verifying here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { parseLine } from "../support/irc-lines.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import { retryWhile } from "../support/wait.js";
import type { RawClient } from "../support/raw-client.js";

const FAIL_OR_SUCCESS = / (FAIL REGISTER|REGISTER SUCCESS) /;

/** Sends `line` (a REGISTER) and returns the reply, made again while the brute-force back-off refuses it. */
function registerPastBackoff(client: RawClient, line: string): Promise<string> {
  return retryWhile(
    async () => {
      client.send(line);
      return client.waitFor(FAIL_OR_SUCCESS);
    },
    (reply) => / FAIL REGISTER TEMPORARILY_UNAVAILABLE \S+ :Too many attempts/.test(reply),
  );
}

test("REGISTER: advertised as draft/account-registration=before-connect; works before CAP END, logs in (900) and the user arrives with the account", async (t) => {
  const fx = await openFixture(t);
  const watcher = await fx.raw("watcher", { caps: ["extended-join"] });

  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  const ls = await c.waitFor(/ CAP \* LS /);
  assert.match(ls, /(^| |:)draft\/account-registration=([^ ]*,)?before-connect(,[^ ]*)?( |$)/);
  c.send("CAP REQ :draft/account-registration");
  c.send("NICK early");
  c.send("USER early 0 * :Early Bird");
  await c.waitFor(/ CAP \* ACK /);
  c.send("REGISTER * * :an early password");
  assert.equal(await c.waitFor(FAIL_OR_SUCCESS), ":cmymessage.local REGISTER SUCCESS early :Account created");
  const loggedIn = parseLine(await c.waitFor(/ 900 /));
  assert.equal(loggedIn.params[0], "early");
  assert.equal(loggedIn.params[2], "early");
  assert.equal(c.lines.filter((l) => / 001 /.test(l)).length, 0, "still negotiating: no welcome yet");

  c.send("CAP END");
  await c.waitFor(/ 001 early /);
  // extended-join: the auto-join already carries the account.
  assert.equal(await watcher.waitFor(/^:early!\S+ JOIN #general /), ":early!~early@127.0.0.1 JOIN #general early :Early Bird");
  c.send("WHOIS early");
  assert.equal(await c.waitFor(/ 330 /), ":cmymessage.local 330 early early early :is logged in as");
});

test("REGISTER after connection registration: REGISTER SUCCESS, 900, WHOIS 330; then ALREADY_AUTHENTICATED", async (t) => {
  const fx = await openFixture(t);
  const c = await fx.raw("later");
  c.send("REGISTER later * :a later password");
  assert.equal(await c.waitFor(FAIL_OR_SUCCESS), ":cmymessage.local REGISTER SUCCESS later :Account created");
  assert.match(await c.waitFor(/ 900 /), /^:cmymessage\.local 900 later later!~?later@127\.0\.0\.1 later :You are now logged in as later$/);
  c.send("WHOIS later");
  assert.equal(await c.waitFor(/ 330 /), ":cmymessage.local 330 later later later :is logged in as");

  c.send("REGISTER * * :yet another password");
  assert.match(await c.waitFor(FAIL_OR_SUCCESS), /^:cmymessage\.local FAIL REGISTER ALREADY_AUTHENTICATED later :/);

  // The account is real: a new connection logs in to it with SASL.
  c.send("QUIT");
  await c.closed;
  const { result } = await connectWithPlain(fx, "later", "later", "a later password");
  assert.equal(result.command, "903");
});

test("REGISTER failures: ACCOUNT_EXISTS, WEAK_PASSWORD (common and too short), BAD_ACCOUNT_NAME; none logs in", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "taken", "the first owners password", { quit: true });

  // A guest now using the registered nick tries to register it again.
  const guest = await fx.raw("taken");
  guest.send("REGISTER * * :the second owners password");
  assert.match(await guest.waitFor(FAIL_OR_SUCCESS), /^:cmymessage\.local FAIL REGISTER ACCOUNT_EXISTS taken :/);
  // A taken name counts against the address (no free enumeration of names), so each next
  // attempt may meet the fixture's short back-off: refused ones are made again.
  // Case does not make a new name.
  assert.match(await registerPastBackoff(guest, "REGISTER TAKEN * :the second owners password"), /^:cmymessage\.local FAIL REGISTER (ACCOUNT_EXISTS|ACCOUNT_NAME_MUST_BE_NICK) TAKEN :/);

  const weak = await fx.raw("weakling");
  assert.match(await registerPastBackoff(weak, "REGISTER * * password123"), /^:cmymessage\.local FAIL REGISTER WEAK_PASSWORD weakling :.*common/);
  assert.match(await registerPastBackoff(weak, "REGISTER * * :short"), /^:cmymessage\.local FAIL REGISTER WEAK_PASSWORD weakling :.*at least 8 bytes/);

  // A name the nick rules refuse (a digit first).
  assert.match(
    await registerPastBackoff(weak, "REGISTER 9lives * :a decent password"),
    /^:cmymessage\.local FAIL REGISTER (BAD_ACCOUNT_NAME 9lives :Account names follow the nick rules|ACCOUNT_NAME_MUST_BE_NICK 9lives :)/,
  );

  await rawSync(weak);
  await rawSync(guest);
  for (const c of [guest, weak]) assert.equal(c.lines.filter((l) => / 900 /.test(l)).length, 0);
  weak.send("WHOIS weakling");
  await weak.waitFor(/ 318 /);
  assert.equal(weak.lines.filter((l) => / 330 /.test(l)).length, 0);
});

test("REGISTER: the service names NickServ and ChanServ cannot become accounts", async (t) => {
  const fx = await openFixture(t);
  const c = await fx.raw("impostor");
  for (const name of ["NickServ", "chanserv"]) {
    c.send(`REGISTER ${name} * :a decent password`);
    const reply = await c.waitFor(FAIL_OR_SUCCESS);
    // An account named NickServ would carry account=NickServ tags and WHOIS "logged in as NickServ".
    assert.match(reply, new RegExp(`^:cmymessage\\.local FAIL REGISTER (BAD_ACCOUNT_NAME|ACCOUNT_NAME_MUST_BE_NICK) ${name} :`), reply);
  }
});

test("REGISTER with a name other than the nick: the server either advertises custom-account-name or answers ACCOUNT_NAME_MUST_BE_NICK", async (t) => {
  const fx = await openFixture(t);
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  const value = /draft\/account-registration(?:=(\S*))?/.exec(await c.waitFor(/ CAP \* LS /))?.[1] ?? "";
  const custom = value.split(",").includes("custom-account-name");
  c.send("NICK yolanda");
  c.send("USER yolanda 0 * :y");
  c.send("CAP END");
  await c.waitFor(/ 001 /);
  c.send("REGISTER someoneelse * :a decent password");
  const reply = await c.waitFor(FAIL_OR_SUCCESS);
  if (custom) assert.match(reply, / REGISTER SUCCESS someoneelse /);
  else assert.match(reply, / FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK someoneelse :/, `CAP value "${value}" has no custom-account-name, yet: ${reply}`);
});

test("REGISTER before NICK: FAIL REGISTER NEED_NICK (before-connect is advertised)", async (t) => {
  const fx = await openFixture(t);
  const c = await fx.rawConnect();
  c.send("CAP LS 302");
  c.send("CAP REQ :draft/account-registration");
  await c.waitFor(/ ACK /);
  c.send("REGISTER * * :a decent password");
  assert.match(await c.waitFor(FAIL_OR_SUCCESS), /^:cmymessage\.local FAIL REGISTER NEED_NICK \* :/);
});

test("VERIFY: nothing is pending, so any code is FAIL VERIFY INVALID_CODE", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "verity", "veritys password", { quit: true });
  const c = await fx.raw("someone");
  c.send("VERIFY verity 123456");
  assert.match(await c.waitFor(/ FAIL VERIFY /), /^:cmymessage\.local FAIL VERIFY INVALID_CODE verity :/);
  // Before registration too.
  const early = await fx.rawConnect();
  early.send("VERIFY verity 000000");
  assert.match(await early.waitFor(/ FAIL VERIFY /), / FAIL VERIFY INVALID_CODE verity /);
});
