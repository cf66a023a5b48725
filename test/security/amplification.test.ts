/**
 * Reply amplification: one short line must never buy a flood of replies. A 510-byte
 * MODE line full of letters that each fail is answered with a few error lines, not
 * one per letter (InspIRCd and Ergo cap them the same way). A JOIN or PART line of 250
 * targets is refused with one 407 (TARGMAX JOIN:/PART: is `irc.maxChannelsPerUser`), and a
 * channel named twice in one list is answered once.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { closeAll, sync } from "./helpers.js";

let server: TestServer;
let op: RawClient;
let member: RawClient;

/** MODES= of the test server: the most error lines one MODE command may get. */
const MAX_MODES = 6;
/** CHANLIMIT and TARGMAX JOIN:/PART: of the test server. */
const MAX_CHANNELS = 10;

before(async () => {
  server = await startTestServer({ irc: { maxModesPerCommand: MAX_MODES, maxChannelsPerUser: MAX_CHANNELS } });
  op = await RawClient.register(server.port, "ampop");
  member = await RawClient.register(server.port, "ampuser");
  op.send("JOIN #amp");
  await op.waitFor(/ 366 ampop #amp /);
  member.send("JOIN #amp");
  await member.waitFor(/ 366 ampuser #amp /);
  await sync(member);
});
after(async () => {
  closeAll(op, member);
  await server.stop();
});

/** Sends `line`, then counts the lines that answer it (everything before the sync PONG). */
async function repliesTo(client: RawClient, line: string): Promise<string[]> {
  client.lines.length = 0;
  client.send(line);
  await sync(client);
  return client.lines.splice(0);
}

test("a non-operator's 510-byte MODE +vvv… line gets a few replies, not one per letter", async () => {
  const line = `MODE #amp +${"v".repeat(510 - "MODE #amp +".length)}`;
  assert.equal(Buffer.byteLength(line), 510);
  const replies = await repliesTo(member, line);
  assert.ok(replies.length >= 1, "the client is told something went wrong");
  assert.ok(replies.length <= MAX_MODES, `${replies.length} replies to one MODE line:\n${replies.slice(0, 5).join("\n")}`);
});

test("an operator's MODE line of missing parameters and unknown letters is answered with at most MODES errors", async () => {
  // Distinct unknown letters (each its own error) and parameter modes without parameters.
  const unknown = Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x100 + i)).join("");
  const replies = await repliesTo(op, `MODE #amp +${unknown}kkkllloooo`);
  assert.ok(replies.length >= 1);
  assert.ok(replies.length <= MAX_MODES, `${replies.length} replies to one MODE line`);
  assert.ok(replies.every((reply) => / (472|696) ampop /.test(reply)), replies.join("\n"));
});

test("a valid mode change still works after the capped errors", async () => {
  op.send("MODE #amp +v ampuser");
  await member.waitFor((l) => l === ":ampop!~ampop@127.0.0.1 MODE #amp +v ampuser");
});

/** `COMMAND x,x,x,…`: as many copies of `target` as fit on one 510-byte line. */
function fullList(command: string, target: string): string {
  const count = Math.floor((510 - command.length - 1 + 1) / (target.length + 1));
  const line = `${command} ${Array.from({ length: count }, () => target).join(",")}`;
  assert.ok(Buffer.byteLength(line) <= 510 && count >= 250, `${count} targets`);
  return line;
}

test("JOIN x,x,x,… (250 targets on one line) is one 407, not 250 476s", async () => {
  const replies = await repliesTo(member, fullList("JOIN", "x"));
  assert.deepEqual(replies, [":cmymessage.local 407 ampuser x :Too many targets"]);
});

test("PART x,x,x,… (250 targets on one line) is one 407, not 250 403s", async () => {
  const replies = await repliesTo(member, fullList("PART", "x"));
  assert.deepEqual(replies, [":cmymessage.local 407 ampuser x :Too many targets"]);
});

test("250 distinct channels in one JOIN are refused whole: 407, and nothing joined", async () => {
  const names = Array.from({ length: 250 }, (_, i) => `#${i}`).join(",").slice(0, 510 - "JOIN ".length).replace(/,[^,]*$/, "");
  const replies = await repliesTo(member, `JOIN ${names}`);
  assert.deepEqual(replies, [":cmymessage.local 407 ampuser #0 :Too many targets"]);
  member.send("NAMES #0");
  assert.match(await member.waitFor(/ 366 /), / 366 ampuser #0 /);
  assert.ok(!member.lines.some((l) => / 353 ampuser . #0 /.test(l)), "#0 was not created");
});

test("a channel named several times within TARGMAX is answered once", async () => {
  const bad = await repliesTo(member, `JOIN ${Array.from({ length: MAX_CHANNELS }, () => "x").join(",")}`);
  assert.deepEqual(bad, [":cmymessage.local 476 ampuser x :Bad Channel Mask"]);
  const away = await repliesTo(member, "PART #nowhere,#NOWHERE,#nowhere,#Nowhere");
  assert.equal(away.length, 1, away.join("\n"));
  assert.match(away[0]!, / 403 ampuser #nowhere /);
});

test("a normal JOIN #a,#b and PART #a,#b still work", async () => {
  member.send("JOIN #ampa,#ampb");
  await member.waitFor(/ 366 ampuser #ampa /);
  await member.waitFor(/ 366 ampuser #ampb /);
  member.send("PART #ampa,#ampb :bye");
  await member.waitFor((l) => l === ":ampuser!~ampuser@127.0.0.1 PART #ampa :bye");
  await member.waitFor((l) => l === ":ampuser!~ampuser@127.0.0.1 PART #ampb :bye");
});

test("ISUPPORT advertises TARGMAX JOIN: and PART: as the channel limit", async () => {
  const client = await RawClient.connect(server.port);
  try {
    client.send("NICK amptarg");
    client.send("USER amptarg 0 * :t");
    const line = await client.waitFor(/ 005 .*TARGMAX=/);
    assert.match(line, new RegExp(`TARGMAX=JOIN:${MAX_CHANNELS},.*PART:${MAX_CHANNELS},`));
  } finally {
    closeAll(client);
  }
});
