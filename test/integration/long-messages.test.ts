/**
 * One maximum message size in core (chat.maxMessageBytes), and long messages on
 * IRC: what fits the limit is stored whole and reaches IRC clients split over as
 * many 512-byte PRIVMSG lines as it needs — never clipped; what does not fit is
 * refused with a clear error and changes nothing.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { FrameworkClient } from "../support/framework-client.js";
import { RawClient } from "../support/raw-client.js";
import { chathistory, exchange, HISTORY_CAPS, parseLine, textOf } from "../support/irc-lines.js";

let server: TestServer;
let bob: FrameworkClient;
let reader: RawClient;
const others: RawClient[] = [];

before(async () => {
  server = await startTestServer({ history: { enabled: true } });
  bob = await FrameworkClient.connect(server.port, "bob", { caps: ["message-tags", "server-time"] });
  reader = await RawClient.register(server.port, "reader", "127.0.0.1", HISTORY_CAPS);
  await reader.waitFor(/ 366 reader #general /);
});

after(async () => {
  await bob.close();
  for (const client of [reader, ...others]) client.close();
  await server.stop();
});

/** Text of exactly `size` bytes of UTF-8: words, accents, emoji and punctuation. */
function longText(size: number): string {
  const words = ["Grüße", "aus", "Köln", "😀", "—", "the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dög", "€100"];
  let text = "";
  for (let i = 0; Buffer.byteLength(text) < size - 40; i++) text += `${words[i % words.length]} `;
  return text + ".".repeat(size - Buffer.byteLength(text));
}

/** bob's PRIVMSGs from `nick` to `target` received so far (after a round trip), consumed. */
async function receivedBy(client: FrameworkClient, nick: string, target: string): Promise<Array<{ message: string; tags: Record<string, string> }>> {
  await client.sync();
  const found: Array<{ message: string; tags: Record<string, string> }> = [];
  for (const event of [...client.events("privmsg")]) {
    if (event.nick === nick && event.target === target) found.push(await client.waitFor("privmsg", (e) => e === event));
  }
  return found;
}

/** The raw PRIVMSG lines `client` received from `nick`, without their tags. */
function rawLinesFrom(client: FrameworkClient, nick: string): string[] {
  return client.raw.filter((line) => line.includes(` PRIVMSG `) && parseLine(line).source.startsWith(`${nick}!`)).map((line) => (line.startsWith("@") ? line.slice(line.indexOf(" ") + 1) : line));
}

test("a 2,000-byte message sent through core reaches an irc-framework client whole, over several PRIVMSG lines, and history keeps it whole", async () => {
  const alice = await RawClient.register(server.port, "alice");
  others.push(alice);
  await alice.waitFor(/ 366 alice #general /);
  const text = longText(2000);
  assert.equal(Buffer.byteLength(text), 2000);

  // The way any door (an HTTP send route, a bridge) hands a message to core.
  const { core, messaging } = server.server.chat;
  const result = await messaging.send(core.findUser("alice")!, "#general", "privmsg", text, null);
  assert.ok(result.ok, JSON.stringify(result));

  const lines = await receivedBy(bob, "alice", "#general");
  assert.ok(lines.length >= 5, `${lines.length} lines`);
  assert.equal(lines.map((l) => l.message).join(""), text);
  // One message, one msgid: on the first line only.
  assert.deepEqual(
    lines.map((l) => l.tags["msgid"] ?? null),
    [result.event.msgid, ...new Array<null>(lines.length - 1).fill(null)],
  );
  for (const line of lines) assert.ok(line.tags["time"], "every line has its time");
  for (const raw of rawLinesFrom(bob, "alice")) assert.ok(Buffer.byteLength(raw) + 2 <= 512, `${Buffer.byteLength(raw) + 2} bytes: ${raw}`);

  // Stored as one message: the newest message in history is all of it, replayed split the same way.
  const history = await chathistory(reader, "LATEST #general * 1");
  assert.ok(history.ok);
  assert.equal(history.messages.map(textOf).join(""), text);
  assert.equal(history.messages.length, lines.length);
  assert.deepEqual(
    history.messages.map((l) => l.tags.get("msgid") ?? null),
    [result.event.msgid, ...new Array<null>(lines.length - 1).fill(null)],
  );
});

test("text at the edge of the 512-byte input line from a long-hostmask sender is split for the recipients, not clipped", async () => {
  const nick = `l${"o".repeat(28)}g`; // 30 characters, NICKLEN
  const sender = await RawClient.connect(server.port);
  others.push(sender);
  sender.send(`NICK ${nick}`);
  sender.send(`USER ${"u".repeat(20)} 0 * :long hostmask`);
  await sender.waitFor(new RegExp(` 366 ${nick} #general `));
  const command = "PRIVMSG #general :";
  const text = longText(510 - command.length);
  sender.send(`${command}${text}`); // 512 bytes with CRLF: the longest line a client may send
  await exchange(sender, "PING edge");

  const lines = await receivedBy(bob, nick, "#general");
  assert.equal(lines.length, 2);
  assert.equal(lines.map((l) => l.message).join(""), text);
  for (const raw of rawLinesFrom(bob, nick)) assert.ok(Buffer.byteLength(raw) + 2 <= 512, `${Buffer.byteLength(raw) + 2} bytes`);
  const history = await chathistory(reader, "LATEST #general * 1");
  assert.ok(history.ok);
  assert.equal(history.messages.map(textOf).join(""), text);
});

test("a message over chat.maxMessageBytes is refused through core and changes nothing", async () => {
  const { core, messaging } = server.server.chat;
  const before = await chathistory(reader, "LATEST #general * 1");
  assert.ok(before.ok);
  const result = await messaging.send(core.findUser("alice")!, "#general", "privmsg", longText(4097), null);
  assert.deepEqual(result, { ok: false, reason: "message-too-long" });
  assert.deepEqual(await receivedBy(bob, "alice", "#general"), []);
  const after = await chathistory(reader, "LATEST #general * 1");
  assert.ok(after.ok);
  assert.deepEqual(after.messages.map((l) => l.tags.get("msgid")), before.messages.map((l) => l.tags.get("msgid")));
  // Exactly at the limit is fine.
  const fits = await messaging.send(core.findUser("alice")!, "#general", "privmsg", longText(4096), null);
  assert.ok(fits.ok);
});

test("over IRC, a PRIVMSG over a small chat.maxMessageBytes gets FAIL PRIVMSG MESSAGE_TOO_LONG, reaches nobody and is not stored", async (t) => {
  const small = await startTestServer({ chat: { maxMessageBytes: 256 } });
  const carol = await FrameworkClient.connect(small.port, "carol");
  const dave = await RawClient.register(small.port, "dave", "127.0.0.1", HISTORY_CAPS);
  t.after(async () => {
    await carol.close();
    dave.close();
    await small.stop();
  });
  await dave.waitFor(/ 366 dave #general /);
  dave.send(`PRIVMSG #general :${longText(257)}`);
  const fail = parseLine(await dave.waitFor(/ FAIL PRIVMSG /));
  assert.deepEqual(fail.params.slice(0, 3), ["PRIVMSG", "MESSAGE_TOO_LONG", "#general"]);
  assert.match(textOf(fail), /longer than 256 bytes/);
  dave.send(`PRIVMSG #general :${longText(256)}`);
  const delivered = await carol.waitFor("privmsg", (e) => e.nick === "dave");
  assert.equal(delivered.message, longText(256), "the first message carol gets from dave is the one that fits");
  const history = await chathistory(dave, "LATEST #general * 10");
  assert.ok(history.ok);
  assert.deepEqual(history.messages.map(textOf), [longText(256)]);
});
