/**
 * What docs/accounts.md promises of a password change: every other session logged in to the
 * account ends, whoever knew the old password. Against a real `cmymessage serve`: changed over
 * HTTP, its IRC and FTP sessions end at once; changed with NickServ SET PASSWORD, the account's
 * other IRC connections end and the changing one stays; changed by `cmymessage user passwd`
 * (another process), its sessions end within `accounts.deletedCheckSeconds`. On SQLite and PostgreSQL.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { RawClient } from "../support/raw-client.js";
import { FtpControl } from "../support/ftp-client.js";
import { saslPlain } from "../support/sasl.js";
import { runCli } from "../support/cli-run.js";
import { serveProcess, type ServeProcess } from "../support/serve-process.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";

/** Without spaces: NickServ SET PASSWORD takes them as words. */
const OLD_PASSWORD = "Password-Someone-Else-Learned-7";
const NEW_PASSWORD = "Owners-Brand-New-Password-8";

interface Served {
  readonly server: ServeProcess;
  readonly configFile: string;
  readonly ftpPort: number;
  readonly httpPort: number;
}

function portOf(server: ServeProcess, what: string): number {
  const listening = server.messages().find((line) => line.includes(`"${what} listening"`));
  assert.ok(listening, `${what} listens`);
  return (JSON.parse(listening) as { port: number }).port;
}

async function served(t: TestContext, target: DialectTarget, sweepSeconds: number): Promise<Served> {
  const { dataDir, url } = await target.create(t);
  const configFile = join(dataDir, "cmymessage.yaml");
  const config = { dataDir, database: { url }, accounts: { deletedCheckSeconds: sweepSeconds }, irc: { listen: ["127.0.0.1:0"], tlsListen: [] }, ftp: { listen: ["127.0.0.1:0"] }, http: { listen: ["127.0.0.1:0"] } };
  await writeFile(configFile, JSON.stringify(config));
  const added = await runCli(["user", "add", "owner", "--password", OLD_PASSWORD], configFile);
  assert.equal(added.code, 0, added.stderr);
  const server = await serveProcess(t, dataDir, { CMY_CONFIG: configFile, CMY_FTP_LISTEN: "127.0.0.1:0", CMY_HTTP_LISTEN: "127.0.0.1:0" });
  return { server, configFile, ftpPort: portOf(server, "FTP"), httpPort: portOf(server, "HTTP") };
}

/** A connection logged in to `owner` by SASL PLAIN, registered as `nick`. */
async function ircLogin(t: TestContext, port: number, nick: string, password: string): Promise<RawClient> {
  const client = await RawClient.connect(port, "127.0.0.1");
  t.after(() => client.close());
  client.send("CAP LS 302");
  client.send("CAP REQ :sasl");
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  await client.waitFor(/ CAP \S+ ACK /);
  assert.match((await saslPlain(client, "owner", password)).raw, / 903 /);
  client.send("CAP END");
  await client.waitFor(/ 001 /);
  return client;
}

async function ftpLogin(t: TestContext, port: number, password: string): Promise<FtpControl> {
  const ftp = await FtpControl.connect(port);
  t.after(() => ftp.close());
  await ftp.login("owner", password);
  return ftp;
}

async function httpJson(port: number, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function changeOverHttp(port: number): Promise<void> {
  const login = await httpJson(port, "POST", "/api/v1/auth/login", { name: "owner", password: OLD_PASSWORD });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const token = (login.body as { tokens: { accessToken: string } }).tokens.accessToken;
  const changed = await httpJson(port, "PUT", "/api/v1/me/password", { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }, token);
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
}

/** The FTP session was ended: 421, then the connection closes. */
async function assertFtpEnded(ftp: FtpControl, timeoutMs: number): Promise<void> {
  const closed = await ftp.read(timeoutMs);
  assert.equal(closed.code, 421, closed.lines.join(" | "));
  assert.match(closed.text, /Password changed/);
}

/** The connection still answers as a client logged in to `owner`. */
async function assertStillLoggedIn(client: RawClient, nick: string): Promise<void> {
  client.send(`WHOIS ${nick}`);
  assert.match(await client.waitFor(/ (330|318) /), / 330 \S+ \S+ owner /);
  assert.ok(!client.lines.some((line) => line.startsWith("ERROR ")), client.lines.join("\n"));
}

forEachDialect("password change ends the sessions logged in before it", (target) => {
  test("a password changed over HTTP ends the account's IRC and FTP sessions at once; the new password logs in", async (t) => {
    const { server, ftpPort, httpPort } = await served(t, target, 3600);
    const irc = await ircLogin(t, server.port, "thief", OLD_PASSWORD);
    const ftp = await ftpLogin(t, ftpPort, OLD_PASSWORD);
    await changeOverHttp(httpPort);
    // Before: both went on (FTP answered PWD with 257; IRC could even change the password back).
    assert.match(await irc.waitFor(/^ERROR /, 5_000), /Password changed/);
    await assertFtpEnded(ftp, 5_000);
    const again = await ircLogin(t, server.port, "owner", NEW_PASSWORD);
    await assertStillLoggedIn(again, "owner");
    const ftpAgain = await ftpLogin(t, ftpPort, NEW_PASSWORD);
    assert.equal((await ftpAgain.command("PWD")).code, 257);
  });

  test("a password changed with NickServ SET PASSWORD ends the account's other sessions; the changing connection stays", async (t) => {
    const { server, ftpPort } = await served(t, target, 1);
    const changer = await ircLogin(t, server.port, "owner", OLD_PASSWORD);
    const other = await ircLogin(t, server.port, "thief", OLD_PASSWORD);
    const ftp = await ftpLogin(t, ftpPort, OLD_PASSWORD);
    changer.send(`PRIVMSG NickServ :SET PASSWORD ${OLD_PASSWORD} ${NEW_PASSWORD}`);
    assert.match(await changer.waitFor(/NOTICE \S+ :.*password/i), /has been changed/);
    assert.match(await other.waitFor(/^ERROR /, 5_000), /Password changed/);
    await assertFtpEnded(ftp, 5_000);
    // Past a few sweeps: the changing connection, logged in with the old password, is not taken for a stale one.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await assertStillLoggedIn(changer, "owner");
  });

  test("a password changed by `cmymessage user passwd` while serving: the account's sessions end within accounts.deletedCheckSeconds", async (t) => {
    const { server, configFile, ftpPort } = await served(t, target, 1);
    const irc = await ircLogin(t, server.port, "thief", OLD_PASSWORD);
    const ftp = await ftpLogin(t, ftpPort, OLD_PASSWORD);
    const changed = await runCli(["user", "passwd", "owner", "--password", NEW_PASSWORD], configFile);
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(await irc.waitFor(/^ERROR /, 10_000), /Password changed/);
    await assertFtpEnded(ftp, 10_000);
    // A session logged in with the new password is not ended by the sweeps that follow.
    const again = await ircLogin(t, server.port, "owner", NEW_PASSWORD);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await assertStillLoggedIn(again, "owner");
  });
});
