/**
 * The password policy is configuration (`auth.password.minBytes`, `auth.password.rejectCommon`)
 * and every door that sets a password applies it: IRC REGISTER, NickServ REGISTER and
 * SET PASSWORD, HTTP account creation and password change, and the CLI's user add/passwd.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { ApiClient, isProblem } from "../support/http-client.js";
import { runCli } from "../support/cli-run.js";

/** Eleven bytes: under a 12-byte minimum, over the default 8. Not on the common list. */
const ELEVEN = "zq8-vx4-kp2";
/** Twelve bytes, not common. */
const TWELVE = "zq8-vx4-kp2-";
/** Twelve bytes and on the common-password list. */
const COMMON_TWELVE = "password1234";

const STRICT = { minBytes: 12, rejectCommon: false };

function openStrict(t: Parameters<typeof openFixture>[0], password: { minBytes: number; rejectCommon: boolean }): Promise<AccountsFixture> {
  return openFixture(t, { http: { listen: ["127.0.0.1:0"] }, auth: { password } });
}

function api(fx: AccountsFixture): ApiClient {
  return ApiClient.forPort(fx.server.http[0]!.port);
}

test("IRC REGISTER: the configured minimum (12) refuses 11 bytes with WEAK_PASSWORD naming it, accepts 12", async (t) => {
  const fx = await openStrict(t, STRICT);
  const c = await fx.raw("shorty");
  c.send(`REGISTER shorty * :${ELEVEN}`);
  assert.equal(await c.waitFor(/ FAIL REGISTER /), ":cmymessage.local FAIL REGISTER WEAK_PASSWORD shorty :Passwords must be at least 12 bytes long");
  c.send(`REGISTER shorty * :${TWELVE}`);
  assert.equal(await c.waitFor(/ REGISTER SUCCESS /), ":cmymessage.local REGISTER SUCCESS shorty :Account created");
});

test("IRC REGISTER: rejectCommon false accepts a common password; the default refuses it", async (t) => {
  const open = await openStrict(t, STRICT);
  const c = await open.raw("commoner");
  c.send(`REGISTER commoner * :${COMMON_TWELVE}`);
  assert.match(await c.waitFor(/ (FAIL REGISTER|REGISTER SUCCESS) /), / REGISTER SUCCESS commoner /);

  const strict = await openFixture(t);
  const d = await strict.raw("commoner");
  d.send(`REGISTER commoner * :${COMMON_TWELVE}`);
  assert.match(await d.waitFor(/ (FAIL REGISTER|REGISTER SUCCESS) /), / FAIL REGISTER WEAK_PASSWORD commoner :That password is one of the most common/);
});

test("IRC REGISTER: a lower minimum (4) lets a 5-byte password through that the default refuses", async (t) => {
  const fx = await openFixture(t, { auth: { password: { minBytes: 4, rejectCommon: true } } });
  const c = await fx.raw("tiny");
  c.send("REGISTER tiny * :zq8vx");
  assert.match(await c.waitFor(/ (FAIL REGISTER|REGISTER SUCCESS) /), / REGISTER SUCCESS tiny /);
});

test("NickServ REGISTER and SET PASSWORD apply the configured minimum", async (t) => {
  const fx = await openStrict(t, STRICT);
  const c = await fx.raw("nsuser");
  c.send(`PRIVMSG NickServ :REGISTER ${ELEVEN}`);
  assert.match(await c.waitFor(/ NOTICE nsuser :Registration/), /Registration failed: Passwords must be at least 12 bytes long\.$/);
  c.send(`PRIVMSG NickServ :REGISTER ${TWELVE}`);
  await c.waitFor(/ 900 /);
  c.send(`PRIVMSG NickServ :SET PASSWORD ${TWELVE} ${ELEVEN}`);
  assert.match(await c.waitFor(/ NOTICE nsuser :Password not changed/), /Password not changed: Passwords must be at least 12 bytes long\.$/);
});

test("HTTP: POST /api/v1/accounts and PUT /api/v1/me/password apply the configured minimum", async (t) => {
  const fx = await openStrict(t, STRICT);
  const client = api(fx);
  const short = await client.post<{ detail: string; type: string }>("/api/v1/accounts", { name: "webby", password: ELEVEN });
  assert.ok(isProblem(short, 400), short.text);
  assert.equal(short.body.detail, "Passwords must be at least 12 bytes long");
  const session = await client.register("webby", TWELVE);
  const change = await client.request<{ detail: string }>("PUT", "/api/v1/me/password", {
    token: session.tokens.accessToken,
    json: { currentPassword: TWELVE, newPassword: ELEVEN },
  });
  assert.ok(isProblem(change, 400), change.text);
  assert.equal(change.body.detail, "Passwords must be at least 12 bytes long");
});

test("CLI: user add and user passwd apply the configured minimum", async (t) => {
  const fx = await openStrict(t, STRICT);
  const configFile = join(fx.home.dataDir, "cli.yaml");
  await writeFile(configFile, `dataDir: ${JSON.stringify(fx.home.dataDir)}\nauth:\n  password:\n    minBytes: 12\n    rejectCommon: false\n`);
  const add = await runCli(["user", "add", "cliuser", "--password", ELEVEN], configFile);
  assert.notEqual(add.code, 0);
  assert.match(add.stderr, /cannot add cliuser: Passwords must be at least 12 bytes long/);
  assert.equal((await runCli(["user", "add", "cliuser", "--password", TWELVE], configFile)).code, 0);
  const passwd = await runCli(["user", "passwd", "cliuser", "--password", ELEVEN], configFile);
  assert.notEqual(passwd.code, 0);
  assert.match(passwd.stderr, /cannot change the password of cliuser: Passwords must be at least 12 bytes long/);
});
