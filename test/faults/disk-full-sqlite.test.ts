/**
 * The disk under SQLite fills up while the server runs. A real `cmymessage serve`
 * whose data directory (cmymessage.db and its WAL) is a small tmpfs; a ballast file
 * leaves only a little room. Messages then fill it: each one that cannot be stored
 * is answered FAIL PRIVMSG TEMPORARILY_UNAVAILABLE, is not echoed and reaches nobody;
 * the server keeps running, answers PING, and a login gets in or is refused for now as
 * when the database is down (never a half-done login). When room
 * is made again (the ballast removed) messages are stored and delivered at once,
 * without a restart, and history holds every message a sender saw acknowledged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { startNode, type ClusterNode } from "../support/cluster.js";
import { rawClient, rawConnect, saslClient } from "../support/cluster-irc.js";
import { rawSync } from "../support/fixture.js";
import { HISTORY_CAPS, parseLine, textOf } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { saslPlain } from "../support/sasl.js";
import { fillWithBallast, freeBytes, mountTmpfs } from "../support/tmpfs.js";
import { assertHistoryHolds, readHistory, type Acked } from "./traffic.js";

const PASSWORD = "disk-full-Password-42";
/** The data directory's file system: room for the database of a fresh server and its WAL, and little more. */
const TMPFS_BYTES = 16 * 1024 * 1024;
/** What the ballast leaves free: a few WAL pages' worth. */
const LEAVE_BYTES = 256 * 1024;
/** The most messages sent to fill the disk (each ~400 bytes, plus its search-index rows). */
const MAX_FILL_MESSAGES = 3000;
const TEXT = "y".repeat(400);
/** The most DMs sent on the full disk until one is refused. */
const MAX_FULL_DISK_DMS = 50;

/** Sends PRIVMSG and waits for its echo (acknowledged) or its FAIL. */
async function send(client: RawClient, nick: string, target: string, text: string): Promise<{ ok: true; msgid: string } | { ok: false; fail: string }> {
  client.send(`PRIVMSG ${target} :${text}`);
  const reply = parseLine(
    await client.waitFor((raw) => {
      const line = parseLine(raw);
      return (line.command === "PRIVMSG" && line.source.startsWith(`${nick}!`) && textOf(line) === text) || (line.command === "FAIL" && line.params[0] === "PRIVMSG");
    }, 10_000),
  );
  return reply.command === "FAIL" ? { ok: false, fail: reply.raw } : { ok: true, msgid: reply.tags.get("msgid") ?? "" };
}

async function login(t: Parameters<typeof rawClient>[0], node: ClusterNode, nick: string): Promise<RawClient> {
  const { client, result } = await saslClient(t, node, nick, nick, PASSWORD, HISTORY_CAPS);
  assert.equal(result.command, "903", `${nick} could not log in: ${result.raw}`);
  await client.waitFor(new RegExp(` 366 ${nick} #general `), 10_000);
  return client;
}

test("SQLite on a full disk: FAIL for what cannot be stored (not echoed, not delivered), logins and PING go on; room made: stored and delivered again, nothing acknowledged lost", async (t) => {
  const dataDir = await mountTmpfs(t, TMPFS_BYTES);
  if (dataDir === null) return;
  const options = { redisUrl: "", databaseUrl: "", dataDir, http: false } as const;

  // First start: the database is made and the accounts registered; a clean stop folds the WAL back in.
  const first = await startNode(t, { name: "disk-full-setup", ...options });
  for (const nick of ["alice", "bob"]) {
    const client = await rawClient(t, first, nick);
    client.send(`REGISTER * * :${PASSWORD}`);
    assert.match(await client.waitFor(/ (REGISTER SUCCESS|FAIL REGISTER) /, 10_000), / REGISTER SUCCESS /);
    client.close();
  }
  await first.stop();

  const ballast = join(dataDir, "ballast");
  const ballastBytes = await fillWithBallast(ballast, LEAVE_BYTES);
  const node = await startNode(t, { name: "disk-full", ...options });
  t.diagnostic(`tmpfs ${TMPFS_BYTES} bytes, ballast ${ballastBytes} bytes, ${await freeBytes(dataDir)} bytes free at start`);
  const alice = await login(t, node, "alice");
  const bob = await login(t, node, "bob");

  const acked: Acked[] = [];
  let refused: { text: string; fail: string } | null = null;
  for (let i = 0; i < MAX_FILL_MESSAGES && refused === null; i++) {
    const text = `fill ${i} ${TEXT}`;
    const result = await send(alice, "alice", "#general", text);
    if (result.ok) acked.push({ sender: "alice", target: "#general", text, msgid: result.msgid, seq: i });
    else refused = { text, fail: result.fail };
  }
  assert.ok(refused !== null, `${MAX_FILL_MESSAGES} messages were all stored: the disk never filled (${await freeBytes(dataDir)} bytes free)`);
  t.diagnostic(`the disk was full after ${acked.length} messages: ${refused.fail}`);
  assert.deepEqual(parseLine(refused.fail).params.slice(0, 3), ["PRIVMSG", "TEMPORARILY_UNAVAILABLE", "#general"]);
  // The operator is told once, with SQLite's reason.
  const logged = await node.waitForLog((line) => line.msg.startsWith("messages cannot be stored"));
  assert.equal(logged.level, 50, "logged as an error");
  assert.match(JSON.stringify(logged["err"]), /disk is full|SQLITE_FULL/);

  // Not a byte left (the failed transaction's WAL frames aside). A direct message cannot be
  // stored either, and is refused the same way. One may still fit where SQLite finds room
  // without growing a file (a page the refused batch left, the WAL restarted after a
  // checkpoint): such a one is stored and delivered like any other, so send until one is refused.
  await fillWithBallast(join(dataDir, "ballast-2"), 0);
  const storedDms: string[] = [];
  let refusedDm: string | null = null;
  for (let i = 0; i < MAX_FULL_DISK_DMS && refusedDm === null; i++) {
    const text = `a private word on a full disk, number ${i}`;
    const dm = await send(alice, "alice", "bob", text);
    if (dm.ok) storedDms.push(text);
    else refusedDm = text;
  }
  assert.ok(refusedDm !== null, `${MAX_FULL_DISK_DMS} DMs were all acknowledged though the disk is full`);
  t.diagnostic(`DMs acknowledged on the full disk before one was refused: ${storedDms.length}`);

  // The server lives and answers PING. A fresh login writes a little (its bookkeeping): it
  // gets in where SQLite still finds room for that, and is refused otherwise, with the
  // answer of a database that is down (the right password no different from a wrong one);
  // either way the connection goes on, as a guest when refused.
  await rawSync(alice);
  await rawSync(bob);
  const carol = await rawConnect(t, node);
  carol.send("CAP LS 302");
  carol.send("CAP REQ :sasl");
  await carol.waitFor(/ CAP \S+ ACK /);
  const fresh = await saslPlain(carol, "bob", PASSWORD);
  if (fresh.command === "903") {
    carol.send("NICK bob");
    carol.send("USER bob 0 * :bob");
  } else {
    assert.equal(fresh.raw, ":cmymessage.local 904 * :SASL authentication failed: accounts are temporarily unavailable; try again later");
    carol.send("NICK guest");
    carol.send("USER guest 0 * :guest");
  }
  carol.send("CAP END");
  await carol.waitFor(/ 001 /, 10_000);
  t.diagnostic(`a fresh login on the full disk: ${fresh.command === "903" ? "in (its bookkeeping found room)" : "refused for now"}`);
  await rawSync(carol);
  assert.equal(node.pid > 0 && !alice.isClosed && !bob.isClosed, true);
  // Nothing refused reached anyone, nor came back as an echo.
  const refusedText = refused.text;
  for (const client of [alice, bob, carol]) {
    assert.equal(client.lines.filter((l) => l.endsWith(refusedText) || l.endsWith(`:${refusedDm}`)).length, 0, "a refused message was delivered");
  }
  for (const text of storedDms) assert.equal(bob.lines.filter((l) => l.endsWith(` PRIVMSG bob :${text}`)).length, 1, `an acknowledged DM reached bob once: ${text}`);

  // Room again: the very next messages are stored and delivered, without a restart.
  await rm(ballast);
  await rm(join(dataDir, "ballast-2"));
  const after = `after the room came back ${TEXT}`;
  const result = await send(alice, "alice", "#general", after);
  assert.ok(result.ok, `refused after the room came back: ${result.ok ? "" : result.fail}`);
  acked.push({ sender: "alice", target: "#general", text: after, msgid: result.msgid, seq: MAX_FILL_MESSAGES });
  await bob.waitFor((raw) => raw.endsWith(` PRIVMSG #general :${after}`));
  // One error line per outage, each followed by its end. A DM stored on the full disk (above)
  // ends the first outage and the next refusal begins another, so there may be two.
  const outageLines = (): string[] => node.logs.filter((line) => line.msg.startsWith("messages cannot be stored") || line.msg === "messages are stored again").map((line) => (line.msg === "messages are stored again" ? "stored" : "failing"));
  await node.waitForLog(() => outageLines().at(-1) === "stored");
  const outages = storedDms.length > 0 ? [1, 2] : [1];
  const told = outageLines();
  assert.ok(outages.includes(told.length / 2), `outage lines: ${told.join(", ")}`);
  assert.deepEqual(told, told.map((_, i) => (i % 2 === 0 ? "failing" : "stored")), "each outage is told once and its end once");
  const dmAfter = await send(alice, "alice", "bob", "a private word with room");
  assert.ok(dmAfter.ok, "a DM was refused after the room came back");
  await bob.waitFor(/ PRIVMSG bob :a private word with room$/);

  const history = await readHistory(bob, "#general");
  assertHistoryHolds("#general", history, acked);
  assert.ok(!history.some((entry) => entry.text === refusedText), "the refused message is in history");
  assert.deepEqual(
    (await readHistory(bob, "alice")).map((entry) => entry.text),
    [...storedDms, "a private word with room"],
  );
});
