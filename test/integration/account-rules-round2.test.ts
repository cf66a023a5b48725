/**
 * Account rules every door must agree on, against a real server and real clients:
 * NickServ DROP's answer to the brute-force wait, SASL PLAIN's authzid compared like
 * account names (case-insensitively), the e-mail address IRC REGISTER and NickServ
 * accept (the HTTP API's rule), the login password cap (that of a new password), the
 * names nick enforcement gives guests (Guest<digits>) and the service names refused
 * with their reason, and the CLI's `user del` naming the account as it is stored.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import { cliUserAdd, openFixture, type AccountsFixture, type ServerHome } from "../support/account-server.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { exchange, textOf, type Line } from "../support/irc-lines.js";
import { cliCommand } from "../support/cli-command.js";
import { registerAccount, saslPlain } from "../support/sasl.js";
import { retryWhile } from "../support/wait.js";
import type { RawClient } from "../support/raw-client.js";

const execFileAsync = promisify(execFile);
const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));

const FAIL_OR_SUCCESS = / (FAIL REGISTER|REGISTER SUCCESS) /;
const TOO_MANY = /^Too many (failed )?attempts; try again in \d+ seconds?\.$/;

function notices(lines: readonly Line[], nick: string): string[] {
  return lines.filter((l) => l.command === "NOTICE" && l.source.startsWith("NickServ!") && l.params[0] === nick).map(textOf);
}

/** Sends `text` to NickServ and returns its notices (all of them, up to a PING round trip). */
async function nickserv(client: RawClient, nick: string, text: string): Promise<string[]> {
  return notices(await exchange(client, `PRIVMSG NickServ :${text}`), nick);
}

/** Sends a REGISTER line and returns the reply, sent again while the brute-force back-off refuses it. */
function register(client: RawClient, line: string): Promise<string> {
  return retryWhile(
    async () => {
      client.send(line);
      return client.waitFor(FAIL_OR_SUCCESS);
    },
    (reply) => / FAIL REGISTER TEMPORARILY_UNAVAILABLE \S+ :Too many attempts/.test(reply),
  );
}

function api(fx: AccountsFixture): ApiClient {
  return ApiClient.forPort(fx.server.http[0]!.port);
}

/** `cmymessage <args>` on `home`'s data, as an operator runs it (no shell); resolves with its exit code and output. */
async function cli(home: ServerHome, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CMY_DATA_DIR: home.dataDir, CMY_LOG_LEVEL: "warn" };
  delete env["CMY_CONFIG"];
  if (home.databaseUrl !== "") env["CMY_DATABASE_URL"] = home.databaseUrl;
  else delete env["CMY_DATABASE_URL"];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [...cliCommand().args, ...args], { cwd: REPO, env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

test("NickServ DROP during the brute-force wait says to wait, as SET PASSWORD does, and keeps the account", async (t) => {
  // The 1st failure costs nothing, the 2nd starts a back-off of 30 s: the 3rd attempt is refused before any check.
  const fx = await openFixture(t, { auth: { bruteForce: { backoffBaseSeconds: 30, backoffMaxSeconds: 60, accountAddressLockoutAfter: 100 } } });
  const dora = await registerAccount(fx, "dora", "doras secret password");
  assert.deepEqual(await nickserv(dora, "dora", "DROP wrong password one"), ["Invalid password; the account was not dropped."]);
  assert.deepEqual(await nickserv(dora, "dora", "DROP wrong password two"), ["Invalid password; the account was not dropped."]);

  const setPassword = await nickserv(dora, "dora", "SET PASSWORD doras-secret-password a brand new pass phrase");
  assert.equal(setPassword.length, 1, setPassword.join(" | "));
  assert.match(setPassword[0]!, TOO_MANY);
  // The right password, refused for the wait: the answer is the wait, not a wrong password.
  const drop = await nickserv(dora, "dora", "DROP doras secret password");
  assert.equal(drop.length, 1, drop.join(" | "));
  assert.match(drop[0]!, TOO_MANY);
  assert.equal(drop[0]!.replace(/\d+/, "N"), setPassword[0]!.replace(/\d+/, "N"), "DROP and SET PASSWORD say the same");
  assert.match((await nickserv(dora, "dora", "INFO dora"))[0] ?? "", /^dora was registered on /, "not dropped");
});

test("SASL PLAIN: an authzid naming the account in another case is the account (as SCRAM compares them); another name is still refused", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "pa1", "pa1s secret password", { quit: true });
  const login = async (authzid: string, authcid: string): Promise<string> => {
    const client = await fx.rawConnect();
    client.send("CAP LS 302");
    client.send("CAP REQ :sasl");
    await client.waitFor(/ CAP \S+ ACK /);
    const result = await saslPlain(client, authcid, "pa1s secret password", authzid);
    client.close();
    return result.command;
  };
  assert.equal(await login("PA1", "pa1"), "903");
  assert.equal(await login("pa1", "PA1"), "903");
  assert.equal(await login("pa2", "pa1"), "904");
});

test("IRC REGISTER: an e-mail address HTTP would refuse (not an address, over 254 characters) is FAIL INVALID_EMAIL and makes no account; * and a real address work", async (t) => {
  const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] } });
  const http = api(fx);
  const c = await fx.raw("emailer");

  assert.match(await register(c, `REGISTER em1 notanemail :${PASSWORD}`), /^:cmymessage\.local FAIL REGISTER INVALID_EMAIL em1 :\S/);
  const long = `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(63)}.${"f".repeat(79)}.org`;
  assert.equal(long.length > 254, true);
  assert.match(await register(c, `REGISTER em2 ${long} :${PASSWORD}`), /^:cmymessage\.local FAIL REGISTER INVALID_EMAIL em2 :\S/);
  // HTTP refuses both as well: one rule.
  assert.equal((await http.post("/api/v1/accounts", { name: "em1", password: PASSWORD, email: "notanemail" })).status, 400);
  assert.equal((await http.post("/api/v1/accounts", { name: "em2", password: PASSWORD, email: long })).status, 400);
  assert.deepEqual(await nickserv(c, "emailer", "INFO em1"), ["em1 is not registered."]);
  assert.deepEqual(await nickserv(c, "emailer", "INFO em2"), ["em2 is not registered."]);

  assert.equal(await register(c, `REGISTER em3 em3@example.org :${PASSWORD}`), ":cmymessage.local REGISTER SUCCESS em3 :Account created");
  c.send("QUIT");
  await c.closed;
  const d = await fx.raw("nomail");
  assert.equal(await register(d, `REGISTER nomail * :${PASSWORD}`), ":cmymessage.local REGISTER SUCCESS nomail :Account created");

  const em3 = await http.login("em3");
  assert.equal(em3.status, 200, em3.text);
  assert.equal(em3.body.account.email, "em3@example.org");
  const nomail = await http.login("nomail");
  assert.equal(nomail.status, 200, nomail.text);
  assert.equal(nomail.body.account.email, null);
});

test("NickServ REGISTER with an e-mail that is not valid says so (not that the password has spaces), and makes no account", async (t) => {
  const fx = await openFixture(t);
  const c = await fx.raw("nsmail");
  const reply = await nickserv(c, "nsmail", "REGISTER nsmails-password notanemail");
  assert.equal(reply.length, 1, reply.join(" | "));
  assert.match(reply[0]!, /e-mail address/i);
  assert.doesNotMatch(reply[0]!, /spaces|^Syntax/);
  const long = `${"a".repeat(250)}@example.org`;
  const tooLong = await nickserv(c, "nsmail", `REGISTER nsmails-password ${long}`);
  assert.match(tooLong[0] ?? "", /e-mail address/i);
  assert.deepEqual(await nickserv(c, "nsmail", "INFO"), ["nsmail is not registered."]);
  // Three words are still the pass phrase NickServ cannot take.
  assert.match((await nickserv(c, "nsmail", "REGISTER my pass phrase"))[0] ?? "", /^Syntax: REGISTER <password> \[email\]/);
  assert.deepEqual(await nickserv(c, "nsmail", "REGISTER nsmails-password nsmail@example.org"), ["Your nick nsmail is registered; you are now logged in."]);
});

test("HTTP login and the current password take what a new password may be: one registered with 1,026 code points (684 bytes after NFKC) logs in", async (t) => {
  const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] } });
  const http = api(fx);
  const password = "u\u0308\u0304".repeat(342);
  assert.equal([...password].length, 1026);
  const made = await http.post("/api/v1/accounts", { name: "longpw", password });
  assert.equal(made.status, 201, made.text);
  const login = await http.login("longpw", password);
  assert.equal(login.status, 200, login.text);
  const changed = await http.request("PUT", "/api/v1/me/password", { token: login.body.tokens.accessToken, json: { currentPassword: password, newPassword: PASSWORD } });
  assert.equal(changed.status < 300, true, `${changed.status} ${changed.text}`);
  assert.equal((await http.login("longpw", PASSWORD)).status, 200);
});

test("Guest<digits>, the nicks nick enforcement gives, are no account's name by any door, with the reason; service names are refused as reserved for a service", async (t) => {
  const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] } });
  const http = api(fx);
  for (const name of ["Guest12345", "guest1", "GUEST00000"]) {
    const reply = await http.post("/api/v1/accounts", { name, password: PASSWORD });
    assert.equal(reply.status, 400, `${name}: ${reply.status} ${reply.text}`);
    assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:invalid-name");
  }
  // Names that only begin like one are anybody's.
  assert.equal((await http.post("/api/v1/accounts", { name: "Guest12345x", password: PASSWORD })).status, 201);
  assert.equal((await http.post("/api/v1/accounts", { name: "Guestbook", password: PASSWORD })).status, 201);

  const c = await fx.raw("someone");
  const guestReply = await register(c, `REGISTER Guest12345 * :${PASSWORD}`);
  assert.match(guestReply, /^:cmymessage\.local FAIL REGISTER BAD_ACCOUNT_NAME Guest12345 :/);
  assert.match(guestReply, /Guest/);
  assert.doesNotMatch(guestReply, /nick rules/);
  const serviceReply = await register(c, `REGISTER NickServ * :${PASSWORD}`);
  assert.match(serviceReply, /^:cmymessage\.local FAIL REGISTER BAD_ACCOUNT_NAME NickServ :.*reserved for a service/);
  assert.match(await register(c, `REGISTER bad!name * :${PASSWORD}`), /^:cmymessage\.local FAIL REGISTER BAD_ACCOUNT_NAME bad!name :.*nick rules/);

  // A guest renamed (or named) Guest<digits> registering its nick with NickServ.
  const guest = await fx.raw("Guest54321");
  const nickservReply = await nickserv(guest, "Guest54321", "REGISTER guests-password");
  assert.equal(nickservReply.length, 1, nickservReply.join(" | "));
  assert.match(nickservReply[0]!, /^Registration failed: .*Guest/);
  assert.deepEqual(await nickserv(guest, "Guest54321", "INFO"), ["Guest54321 is not registered."]);

  const added = await cli(fx.home, ["user", "add", "Guest777", "--password", PASSWORD]);
  assert.equal(added.code, 1, `${added.code} ${added.stdout} ${added.stderr}`);
  assert.match(added.stderr, /cannot add Guest777: .*Guest/);
  const service = await cli(fx.home, ["user", "add", "ChanServ", "--password", PASSWORD]);
  assert.equal(service.code, 1);
  assert.match(service.stderr, /cannot add ChanServ: .*reserved for a service/);
});

test("cmymessage user del names the account as stored, not as typed", async (t) => {
  const fx = await openFixture(t);
  await cliUserAdd(fx.home, "Zed", PASSWORD);
  const deleted = await cli(fx.home, ["user", "del", "ZED"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, "deleted account Zed\n");
});
