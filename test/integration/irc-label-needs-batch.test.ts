/**
 * IRCv3 labeled-response "depends on the batch capability which MUST be negotiated to use
 * labeled responses": a label is honoured only on a connection with both caps (as
 * InspIRCd does). Without batch the command is answered as if unlabelled — no BATCH,
 * no batch or label tags, no ACK. message-tags is not needed: negotiating batch and
 * labeled-response is what says the client reads their tags.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange } from "../support/irc-lines.js";

/** Every reply to `line`, raw, without the PONG that ends the exchange. */
async function replies(client: RawClient, line: string): Promise<string[]> {
  return (await exchange(client, line)).map((l) => l.raw).filter((raw) => !/ PONG \S+ :?xchg\d+$/.test(raw));
}

test("labeled-response without batch: a labelled WHOIS gets its replies plain, no BATCH and no tags", async (t) => {
  const fx = await setup(t);
  await fx.raw("lab");
  const c = await fx.raw("lonely", ["labeled-response"]);
  const lines = await replies(c, "@label=w WHOIS lab");
  assert.ok(lines.some((line) => line.startsWith(":cmymessage.local 311 lonely lab ")), lines.join("\n"));
  assert.ok(lines.at(-1)?.startsWith(":cmymessage.local 318 lonely lab "), lines.join("\n"));
  assert.deepEqual(lines.filter((line) => line.startsWith("@") || / BATCH /.test(line)), [], "no tags, no BATCH");
  // No reply gets no ACK; one reply goes without its label, and so do two.
  assert.deepEqual(await replies(c, "@label=s PRIVMSG lab :hi"), []);
  assert.deepEqual(await replies(c, "@label=a MODE lonely +i"), [":lonely!~lonely@127.0.0.1 MODE lonely +i"]);
  assert.deepEqual(await replies(c, "@label=n WHOIS nobody"), [
    ":cmymessage.local 401 lonely nobody :No such nick/channel",
    ":cmymessage.local 318 lonely nobody :End of /WHOIS list.",
  ]);
  c.send("@label=x PING one");
  assert.equal(await c.waitFor(/ PONG /), ":cmymessage.local PONG cmymessage.local one");
});

test("an over-long labelled line without batch: its 417 is not labelled", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("longlonely", ["labeled-response"]);
  c.send(`@label=X PRIVMSG #general :${"a".repeat(600)}`);
  assert.equal(await c.waitFor(/ 417 /), ":cmymessage.local 417 longlonely :Input line was too long");
});

test("labeled-response with batch but without message-tags: labels are honoured (batch, single line and ACK)", async (t) => {
  const fx = await setup(t);
  await fx.raw("lab2");
  const c = await fx.raw("paired", ["labeled-response", "batch"]);
  const lines = await replies(c, "@label=w WHOIS lab2");
  const ref = /^@label=w :cmymessage\.local BATCH \+(\S+) labeled-response$/.exec(lines[0] ?? "")?.[1];
  assert.ok(ref, lines.join("\n"));
  assert.equal(lines.at(-1), `:cmymessage.local BATCH -${ref}`);
  assert.ok(lines.slice(1, -1).every((line) => line.startsWith(`@batch=${ref} `)), lines.join("\n"));
  assert.deepEqual(await replies(c, "@label=p PING two"), ["@label=p :cmymessage.local PONG cmymessage.local two"]);
  assert.deepEqual(await replies(c, "@label=s PRIVMSG lab2 :hi"), ["@label=s :cmymessage.local ACK"]);
  assert.deepEqual(await replies(c, "@label=a AWAY"), ["@label=a :cmymessage.local 305 paired :You are no longer marked as being away"]);
});

test("a client that drops batch (CAP REQ -batch) gets its later labels ignored", async (t) => {
  const fx = await setup(t);
  const c = await fx.raw("dropper", ["labeled-response", "batch"]);
  assert.deepEqual(await replies(c, "@label=p PING before"), ["@label=p :cmymessage.local PONG cmymessage.local before"]);
  const ack = await replies(c, "CAP REQ :-batch");
  assert.equal(ack.length, 1);
  assert.match(ack[0]!, /^:cmymessage\.local CAP dropper ACK :?-batch$/);
  assert.deepEqual(await replies(c, "@label=q PING after"), [":cmymessage.local PONG cmymessage.local after"]);
});
