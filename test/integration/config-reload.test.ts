/**
 * What docs/operations.md promises of a reload, against a real `cmymessage serve` with a
 * config file: SIGHUP (and `REHASH` from an operator) re-reads it; limits, the MOTD and
 * operators take effect at once for the next client; a file that does not validate
 * changes nothing, and the server goes on with what it had.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrameworkClient } from "../support/framework-client.js";
import { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";
import { removeAfterServers, serveProcess, type ServeProcess } from "../support/serve-process.js";
import { hashPassword } from "../../src/auth/passwords.js";

interface Settings {
  readonly motd: string;
  readonly connectionsPerIp: number;
  readonly operatorHash: string | null;
  readonly commitIntervalMs: number;
}

/** The config file as an operator writes it (YAML; JSON is YAML). */
function configText(settings: Settings): string {
  return JSON.stringify({
    server: { motd: settings.motd },
    limits: { connectionsPerIp: settings.connectionsPerIp },
    history: { commitIntervalMs: settings.commitIntervalMs },
    irc: { operators: settings.operatorHash === null ? [] : [{ name: "admin", passwordHash: settings.operatorHash, hostMask: "*@127.0.0.1" }] },
  });
}

/** `serve` with CMY_CONFIG (see serveProcess). */
function serve(t: TestContext, dataDir: string, configFile: string): Promise<ServeProcess> {
  return serveProcess(t, dataDir, { CMY_CONFIG: configFile });
}

/** The MOTD's text in the 372 lines among `lines`. */
function motdText(lines: readonly string[]): string[] {
  return lines.filter((line) => / 372 /.test(line)).map((line) => line.replace(/^.* 372 \S+ :(- )?/, ""));
}

/** The MOTD's text a fresh client is shown. */
async function motdOf(port: number, nick: string): Promise<string[]> {
  const client = await RawClient.register(port, nick);
  const lines = motdText(client.lines);
  client.socket.destroy();
  await client.closed;
  return lines;
}

test("SIGHUP and REHASH apply a changed config file at once; one that does not validate changes nothing", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-reload-"));
  removeAfterServers(t, dataDir);
  const configFile = join(dataDir, "cmymessage.yaml");
  const operatorHash = await hashPassword("correct horse battery");
  const first: Settings = { motd: "First words.", connectionsPerIp: 16, operatorHash: null, commitIntervalMs: 10 };
  await writeFile(configFile, configText(first));
  const server = await serve(t, dataDir, configFile);
  /** Sends SIGHUP and resolves with the log line that says what came of it. */
  const sighup = async (): Promise<string> => {
    const before = server.messages().length;
    server.child.kill("SIGHUP");
    const outcome = () => server.messages().slice(before).find((line) => line.includes("SIGHUP: configuration"));
    await waitFor(() => outcome() !== undefined, { timeoutMs: 10_000, what: "the reload's log line" });
    return outcome()!;
  };

  assert.deepEqual(await motdOf(server.port, "early"), ["First words."]);
  const holder = await FrameworkClient.connect(server.port, "holder", { readyChannel: null });
  t.after(() => holder.close());

  // One connection per address, a new MOTD, an operator: all at the next SIGHUP.
  const second: Settings = { motd: "Second words.", connectionsPerIp: 2, operatorHash, commitIntervalMs: 0 };
  await writeFile(configFile, configText(second));
  assert.match(await sighup(), /SIGHUP: configuration reloaded/);
  const visitor = await RawClient.register(server.port, "visitor");
  assert.deepEqual(motdText(visitor.lines), ["Second words."]);
  // holder and visitor hold both places of 127.0.0.1 now.
  const third = await RawClient.connect(server.port);
  assert.match(await third.waitFor(/^ERROR /), /Too many connections from your address/);
  await third.closed;

  // A file that does not validate: the error is logged, the settings stay as the last good file made them.
  await writeFile(configFile, configText({ ...second, motd: "Never shown.", connectionsPerIp: 16, commitIntervalMs: 5000 }));
  const invalid = await sighup();
  assert.match(invalid, /SIGHUP: configuration is invalid; nothing changed/);
  assert.match(invalid, /commitIntervalMs/);
  const refused = await RawClient.connect(server.port);
  assert.match(await refused.waitFor(/^ERROR /), /Too many connections from your address/, "the limit of the last good file still holds");
  await refused.closed;
  holder.raw.splice(0);
  holder.client.raw("MOTD");
  assert.match(await holder.waitRaw(/ 372 holder /), /:(- )?Second words\.$/, "the MOTD of the last good file still shows");

  // The operator the reload added can OPER and REHASH; REHASH reads the file again, and refuses a bad one alike.
  holder.client.raw("OPER admin :correct horse battery");
  await holder.waitRaw(/ 381 holder /);
  holder.client.raw("REHASH");
  assert.match(await holder.waitRaw(/ 382 holder /), / 382 holder config :Rehashing$/);
  assert.match(await holder.waitRaw(/ NOTICE holder :/), /REHASH failed, configuration unchanged: .*commitIntervalMs/);
  await writeFile(configFile, configText({ ...second, motd: "Third words.", connectionsPerIp: 16 }));
  holder.client.raw("REHASH");
  await holder.waitRaw(/ 382 holder /);
  assert.match(await holder.waitRaw(/ NOTICE holder :/), /\*\*\* Configuration reloaded$/);
  visitor.socket.destroy();
  await visitor.closed;
  // 16 places again: three clients beside holder, each shown the new MOTD.
  const late = await Promise.all(["late1", "late2", "late3"].map((nick) => motdOf(server.port, nick)));
  assert.deepEqual(late, [["Third words."], ["Third words."], ["Third words."]]);
});
