/**
 * IRCv3 cap-notify (capability-negotiation, cap-notify-3.2): a client that negotiated it
 * (CAP LS 302 does so, for good) hears CAP DEL of a capability a reload withdrew (and it
 * stops being active) and CAP NEW of one added or whose value changed; without cap-notify
 * it hears nothing. A CAP LS 302 client cannot turn cap-notify off.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { startServer, type RunningServer } from "../../src/server.js";
import { RawClient } from "../support/raw-client.js";
import { rawSync } from "../support/fixture.js";

/** A server whose reload (REHASH, SIGHUP) reads the config `next` holds. */
async function reloadableServer(t: TestContext, first: Record<string, unknown>): Promise<{ server: RunningServer; port: number; next: (tree: Record<string, unknown>) => void }> {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-capnotify-"));
  const configOf = (tree: Record<string, unknown>): Config =>
    validateConfig({ ...tree, dataDir, log: { level: "silent" }, http: { listen: [] }, ftp: { listen: [] }, irc: { listen: ["127.0.0.1:0"], tlsListen: [], flood: { enabled: false }, ...(tree["irc"] as object) } }, "test");
  let current = configOf(first);
  const server = await startServer(current, { log: pino({ level: "silent" }), reload: async () => current });
  t.after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { server, port: server.irc.plain[0]!.port, next: (tree) => (current = configOf(tree)) };
}

async function negotiate(port: number, nick: string, version: string, caps: string): Promise<RawClient> {
  const client = await RawClient.connect(port);
  client.send(`CAP LS${version}`);
  client.send(`CAP REQ :${caps}`);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  await client.waitFor(/ CAP \S+ ACK /);
  client.send("CAP END");
  await client.waitFor(/ (376|422) /);
  return client;
}

test("a reload that withdraws draft/webpush and changes multiline's max-lines: CAP DEL and CAP NEW to cap-notify clients", async (t) => {
  const { server, port, next } = await reloadableServer(t, { push: { enabled: true } });
  const modern = await negotiate(port, "modern", " 302", "draft/multiline batch message-tags draft/webpush");
  const explicit = await negotiate(port, "explicit", "", "cap-notify batch draft/webpush");
  const plain = await negotiate(port, "plain", "", "batch draft/webpush");
  t.after(() => [modern, explicit, plain].forEach((c) => c.close()));

  next({ push: { enabled: false }, irc: { multiline: { maxLines: 3 } } });
  await server.reload();
  assert.equal(await modern.waitFor(/ CAP modern DEL /), ":cmymessage.local CAP modern DEL draft/webpush");
  assert.equal(await modern.waitFor(/ CAP modern NEW /), ":cmymessage.local CAP modern NEW draft/multiline=max-bytes=4096,max-lines=3");
  // Without CAP LS 302 there are no values to tell of: only the capability withdrawn.
  assert.equal(await explicit.waitFor(/ CAP explicit DEL /), ":cmymessage.local CAP explicit DEL draft/webpush");
  for (const client of [modern, explicit, plain]) await rawSync(client);
  assert.deepEqual(explicit.lines.filter((l) => / CAP explicit NEW /.test(l)), []);
  assert.deepEqual(plain.lines.filter((l) => / CAP plain (DEL|NEW) /.test(l)), [], "no cap-notify, no notification");

  // Withdrawn means no longer active: CAP LIST leaves it out, for every client.
  modern.send("CAP LIST");
  assert.doesNotMatch(await modern.waitFor(/ CAP modern LIST /), /draft\/webpush/);
  plain.send("CAP LIST");
  assert.doesNotMatch(await plain.waitFor(/ CAP plain LIST /), /draft\/webpush/);

  // Back on: CAP NEW offers it again (not enabled until asked for).
  next({ push: { enabled: true }, irc: { multiline: { maxLines: 3 } } });
  await server.reload();
  assert.equal(await modern.waitFor(/ CAP modern NEW /), ":cmymessage.local CAP modern NEW draft/webpush");
  assert.equal(await explicit.waitFor(/ CAP explicit NEW /), ":cmymessage.local CAP explicit NEW draft/webpush");
  modern.send("CAP LIST");
  assert.doesNotMatch(await modern.waitFor(/ CAP modern LIST /), /draft\/webpush/);

  // A reload that changes nothing a client sees tells nothing.
  await server.reload();
  await rawSync(modern);
  assert.deepEqual(modern.lines.filter((l) => / CAP modern (DEL|NEW) /.test(l)), []);
});

test("cap-notify cannot be turned off after CAP LS 302; before, it may", async (t) => {
  const { port } = await reloadableServer(t, {});
  const modern = await negotiate(port, "modern", " 302", "batch");
  const old = await negotiate(port, "old", "", "cap-notify");
  t.after(() => [modern, old].forEach((c) => c.close()));
  modern.send("CAP REQ :-cap-notify");
  assert.equal(await modern.waitFor(/ CAP modern (ACK|NAK) /), ":cmymessage.local CAP modern NAK -cap-notify");
  modern.send("CAP LIST");
  assert.match(await modern.waitFor(/ CAP modern LIST /), /(:| )cap-notify( |$)/);
  old.send("CAP REQ :-cap-notify");
  assert.equal(await old.waitFor(/ CAP old (ACK|NAK) /), ":cmymessage.local CAP old ACK -cap-notify");
});
