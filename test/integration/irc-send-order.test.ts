/**
 * What one sender sends reaches every recipient in the order it was sent, whatever is
 * stored and whatever is not: a STATUSMSG, a TAGMSG or a message between guests
 * (none stored) never overtakes a channel message sent before it that is still being
 * written to history. Lines arrive pipelined, in one packet, as a client sends them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";

/** Waits, without taking it from `client.lines`, for a line that matches. */
async function seen(client: RawClient, pattern: RegExp): Promise<void> {
  await waitFor(() => client.lines.some((line) => pattern.test(line)), { what: String(pattern) });
}

async function join(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

/** The text of each PRIVMSG/NOTICE (and `TAGMSG <target>`) `client` got from `from`, in order of arrival. */
function received(client: RawClient, from: string): string[] {
  return client.lines
    .filter((line) => line.includes(`:${from}!`))
    .map((line) => line.replace(/^(@\S+ )?:\S+ /, ""))
    .filter((line) => /^(PRIVMSG|NOTICE|TAGMSG) /.test(line));
}

test("STATUSMSG and TAGMSG keep their place among the channel messages sent around them", async (t) => {
  const fx = await setup(t);
  const sender = await fx.raw("sender", ["message-tags"]);
  await join(sender, "sender", "#st");
  const op = await fx.raw("op", ["message-tags"]);
  await join(op, "op", "#st");
  sender.send("MODE #st +o op");
  await op.waitFor(/ MODE #st \+o op$/);

  sender.sendBytes(["PRIVMSG #st :1", "PRIVMSG #st :2", "PRIVMSG @#st :3", "@+typing=done TAGMSG #st", "NOTICE @#st :4", "PRIVMSG #st :5"].map((line) => `${line}\r\n`).join(""));
  await seen(op, / PRIVMSG #st :5$/);
  await rawSync(op);
  assert.deepEqual(received(op, "sender"), ["PRIVMSG #st :1", "PRIVMSG #st :2", "PRIVMSG @#st :3", "TAGMSG #st", "NOTICE @#st :4", "PRIVMSG #st :5"]);
});

test("a guest's direct messages to a guest keep their place among its channel messages", async (t) => {
  const fx = await setup(t);
  const sender = await fx.raw("gsend");
  await join(sender, "gsend", "#r");
  const reader = await fx.raw("gread");
  await join(reader, "gread", "#r");
  // Once, so the reader's nick is known not to be an account's: the messages below need no look-up.
  sender.send("PRIVMSG gread :warm-up");
  await reader.waitFor(/ PRIVMSG gread :warm-up$/);
  reader.lines.length = 0;

  const lines: string[] = [];
  for (let i = 0; i < 4; i++) lines.push(`PRIVMSG #r :c${i}`, `PRIVMSG gread :d${i}`);
  lines.push("PRIVMSG #r,gread :both", "PRIVMSG gread,#r :both2");
  sender.sendBytes(lines.map((line) => `${line}\r\n`).join(""));
  await seen(reader, / PRIVMSG #r :both2$/);
  await rawSync(reader);
  assert.deepEqual(received(reader, "gsend"), [...lines.slice(0, 8), "PRIVMSG #r :both", "PRIVMSG gread :both", "PRIVMSG gread :both2", "PRIVMSG #r :both2"]);
});

test("a first direct message to a guest (its nick looked up) keeps its place among the channel messages around it", async (t) => {
  const fx = await setup(t);
  const sender = await fx.raw("lsend");
  await join(sender, "lsend", "#l");
  const reader = await fx.raw("lread");
  await join(reader, "lread", "#l");

  const lines = ["PRIVMSG #l :c0", "PRIVMSG lread :d0", "PRIVMSG #l :c1", "PRIVMSG lread :d1", "PRIVMSG #l :c2"];
  sender.sendBytes(lines.map((line) => `${line}\r\n`).join(""));
  await seen(reader, / PRIVMSG #l :c2$/);
  await rawSync(reader);
  assert.deepEqual(received(reader, "lsend"), lines);
});
