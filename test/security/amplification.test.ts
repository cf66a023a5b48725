/**
 * Reply amplification: one short line must never buy a flood of replies. A 510-byte
 * MODE line full of letters that each fail is answered with a few error lines, not
 * one per letter (InspIRCd and Ergo cap them the same way).
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

before(async () => {
  server = await startTestServer({ irc: { maxModesPerCommand: MAX_MODES } });
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
