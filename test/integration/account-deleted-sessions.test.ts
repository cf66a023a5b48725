/**
 * What docs/accounts.md promises of a deleted account: its sessions go. Against a real
 * `cmymessage serve`: deleted by `cmymessage user del` (another process), its IRC and FTP
 * sessions end within `accounts.deletedCheckSeconds`; deleted by NickServ DROP, its FTP
 * sessions end at once.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient } from "../support/raw-client.js";
import { FtpControl } from "../support/ftp-client.js";
import { saslPlain } from "../support/sasl.js";
import { runCli } from "../support/cli-run.js";
import { removeAfterServers, serveProcess, type ServeProcess } from "../support/serve-process.js";

const PASSWORD = "a long enough password";

async function served(t: TestContext, deletedCheckSeconds: number): Promise<{ server: ServeProcess; configFile: string; ftpPort: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-deleted-"));
  removeAfterServers(t, dataDir);
  const configFile = join(dataDir, "cmymessage.yaml");
  await writeFile(configFile, JSON.stringify({ dataDir, accounts: { deletedCheckSeconds }, irc: { listen: ["127.0.0.1:0"], tlsListen: [] }, ftp: { listen: ["127.0.0.1:0"] }, http: { listen: [] } }));
  const added = await runCli(["user", "add", "leaving", "--password", PASSWORD], configFile);
  assert.equal(added.code, 0, added.stderr);
  const server = await serveProcess(t, dataDir, { CMY_CONFIG: configFile, CMY_FTP_LISTEN: "127.0.0.1:0" });
  const listening = server.messages().find((line) => line.includes('"FTP listening"'));
  assert.ok(listening, "FTP listens");
  return { server, configFile, ftpPort: (JSON.parse(listening) as { port: number }).port };
}

async function ircLogin(port: number, nick: string): Promise<RawClient> {
  const client = await RawClient.connect(port, "127.0.0.1");
  client.send("CAP LS 302");
  client.send("CAP REQ :sasl");
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  await client.waitFor(/ CAP \S+ ACK /);
  assert.match((await saslPlain(client, "leaving", PASSWORD)).raw, / 903 /);
  client.send("CAP END");
  await client.waitFor(/ 001 /);
  return client;
}

test("an account deleted by `cmymessage user del` while logged in: its IRC and FTP sessions end within accounts.deletedCheckSeconds", async (t) => {
  const { server, configFile, ftpPort } = await served(t, 1);
  const ftp = await FtpControl.connect(ftpPort);
  t.after(() => ftp.close());
  await ftp.login("leaving", PASSWORD);
  const irc = await ircLogin(server.port, "leaving");
  t.after(() => irc.close());
  const deleted = await runCli(["user", "del", "leaving"], configFile);
  assert.equal(deleted.code, 0, deleted.stderr);
  // Before: both went on (FTP stored into the deleted account's folder; IRC kept the account).
  assert.match(await irc.waitFor(/^ERROR /, 10_000), /Account deleted/);
  const closed = await ftp.read(10_000);
  assert.equal(closed.code, 421, closed.lines.join(" | "));
  const other = await RawClient.register(server.port, "witness");
  t.after(() => other.close());
  other.send("WHOIS leaving");
  assert.match(await other.waitFor(/ (401|311) /), / 401 /);
});

test("an account dropped with NickServ DROP: its FTP sessions end at once", async (t) => {
  const { server, ftpPort } = await served(t, 3600);
  const ftp = await FtpControl.connect(ftpPort);
  t.after(() => ftp.close());
  await ftp.login("leaving", PASSWORD);
  const irc = await ircLogin(server.port, "leaving");
  t.after(() => irc.close());
  irc.send(`PRIVMSG NickServ :DROP ${PASSWORD}`);
  assert.match(await irc.waitFor(/has been dropped/), /NOTICE/);
  // Before: the FTP session went on listing and storing.
  const closed = await ftp.read(5_000);
  assert.equal(closed.code, 421, closed.lines.join(" | "));
});
