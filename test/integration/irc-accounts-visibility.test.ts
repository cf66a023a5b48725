/**
 * Who is logged in as whom, as other clients see it: account-notify (ACCOUNT),
 * account-tag (@account=), extended-join (JOIN #chan account :realname) and WHOIS 330.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { parseLine } from "../support/irc-lines.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

const ACCOUNT_CAPS = ["account-notify", "account-tag", "extended-join", "message-tags"];

/** A line's tags, then the line without them. */
function split(line: string): [string, string] {
  return line.startsWith("@") ? [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)] : ["", line];
}

test("account-notify, account-tag, extended-join and WHOIS 330 follow a login and a logout; clients without the caps see none of it", async (t) => {
  const fx = await openFixture(t);
  const watcher = await fx.raw("watcher", { caps: ACCOUNT_CAPS });
  const plain = await fx.raw("plain");
  const bob = await fx.raw("bob");
  // A guest's extended-join says "*".
  assert.equal(await watcher.waitFor(/^:bob!\S+ JOIN /), ":bob!~bob@127.0.0.1 JOIN #general * :bob test");

  bob.send("PRIVMSG NickServ :REGISTER bobs-password");
  await bob.waitFor(/ 900 /);
  // account-tag: from now on every line from bob carries account=bob, this one included.
  assert.deepEqual(split(await watcher.waitFor(/ ACCOUNT /)), ["@account=bob", ":bob!~bob@127.0.0.1 ACCOUNT bob"]);

  bob.send("PRIVMSG #general :hello as bob");
  const tagged = parseLine(await watcher.waitFor(/ PRIVMSG #general :hello as bob$/));
  assert.equal(tagged.tags.get("account"), "bob");
  assert.ok(tagged.tags.has("msgid"));
  const untagged = await plain.waitFor(/ PRIVMSG #general :hello as bob$/);
  assert.equal(untagged, ":bob!~bob@127.0.0.1 PRIVMSG #general :hello as bob");

  watcher.send("WHOIS bob");
  assert.equal(await watcher.waitFor(/ 330 /), ":cmymessage.local 330 watcher bob bob :is logged in as");

  watcher.send("JOIN #side");
  await watcher.waitFor(/ 366 watcher #side /);
  bob.send("JOIN #side");
  assert.deepEqual(split(await watcher.waitFor(/:bob!\S+ JOIN #side/)), ["@account=bob", ":bob!~bob@127.0.0.1 JOIN #side bob :bob test"]);

  bob.send("PRIVMSG NickServ :LOGOUT");
  await bob.waitFor(/ 901 /);
  // One ACCOUNT line per peer, though they share two channels.
  assert.deepEqual(split(await watcher.waitFor(/ ACCOUNT /)), ["", ":bob!~bob@127.0.0.1 ACCOUNT *"]);
  bob.send("PRIVMSG #general :hello as a guest");
  const after = parseLine(await watcher.waitFor(/ PRIVMSG #general :hello as a guest$/));
  assert.equal(after.tags.get("account"), undefined);
  watcher.send("WHOIS bob");
  await watcher.waitFor(/ 318 watcher bob /);
  await rawSync(watcher);
  assert.equal(watcher.lines.filter((l) => / 330 /.test(l) || / ACCOUNT /.test(l)).length, 0);

  await rawSync(plain);
  assert.equal(plain.lines.filter((l) => / ACCOUNT /.test(l) || l.startsWith("@")).length, 0, "no ACCOUNT lines or tags without the caps");
});

test("a client logged in with SASL before registering arrives with its account: extended-join, account-tag, WHOIS", async (t) => {
  const fx = await openFixture(t);
  await registerAccount(fx, "carol", "carols password", { quit: true });
  const watcher = await fx.raw("watcher", { caps: ACCOUNT_CAPS });
  const { client: carol } = await connectWithPlain(fx, "carol", "carol", "carols password");
  assert.deepEqual(split(await watcher.waitFor(/:carol!\S+ JOIN /)), ["@account=carol", ":carol!~carol@127.0.0.1 JOIN #general carol :carol test"]);
  await rawSync(watcher);
  assert.equal(watcher.lines.filter((l) => / ACCOUNT /.test(l)).length, 0, "no ACCOUNT line: the account came with the join");
  carol.send("PRIVMSG #general :sasl hello");
  assert.equal(parseLine(await watcher.waitFor(/ :sasl hello$/)).tags.get("account"), "carol");
  // Logged in to an account whose name is not the nick: WHOIS names the account. (carol
  // leaves first: while she is online, a second login would join her user — multiclient.)
  carol.send("QUIT");
  await carol.closed;
  const { client: other } = await connectWithPlain(fx, "notcarol", "carol", "carols password");
  other.send("WHOIS notcarol");
  assert.equal(await other.waitFor(/ 330 /), ":cmymessage.local 330 notcarol notcarol carol :is logged in as");
});

test("irc-framework sees the account in its join and account events", async (t) => {
  const fx = await openFixture(t);
  const lib = await fx.framework("libwatch");
  const dave = await fx.raw("dave");
  const joined = await lib.waitFor("join", (e) => e.nick === "dave");
  assert.equal(joined.account, false);
  dave.send("REGISTER * * :daves password");
  await dave.waitFor(/ 900 /);
  await lib.sync();
  assert.ok(lib.raw.some((l) => / ACCOUNT dave$/.test(l)), lib.raw.join("\n"));
  dave.send("PRIVMSG #general :from dave");
  const message = await lib.waitFor("privmsg", (e) => e.message === "from dave");
  assert.equal(message.tags["account"], "dave");
});
