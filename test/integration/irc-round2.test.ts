/**
 * IRC replies over real sockets, second round: ISON past 64 nicks and over several 303
 * lines, JOIN keys paired by position when the key list has an empty item, 341 naming
 * the channel as it is, 696 naming the rejected parameter, WHOX with flags before `%`,
 * invitations forgotten when the invited user quits, and 417 answered with its label.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { exchange } from "../support/irc-lines.js";
import { waitFor } from "../support/wait.js";
import { hashPassword } from "../../src/auth/passwords.js";

async function rawJoin(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `, "i"));
}

test("ISON answers every nick it names, the 65th and later too (TARGMAX ISON: has no limit)", async (t) => {
  const fx = await setup(t);
  const watcher = await fx.raw("watcher");
  await fx.raw("late");
  const absent = Array.from({ length: 80 }, (_, i) => `g${i}`);
  const lines = await exchange(watcher, `ISON ${absent.join(" ")} late`);
  const replies = lines.filter((l) => l.command === "303");
  assert.deepEqual(
    replies.map((l) => l.params.slice(1)),
    [["late"]],
    lines.map((l) => l.raw).join("\n"),
  );
  // Nobody online: one empty 303, as before.
  const none = (await exchange(watcher, `ISON ${absent.join(" ")}`)).filter((l) => l.command === "303");
  assert.deepEqual(
    none.map((l) => l.params.slice(1)),
    [[""]],
  );
});

test("a 303 that would pass 512 bytes is split over several lines, each within the limit, no nick lost", async (t) => {
  // A long server name and long nicks: the reply to one 510-byte ISON line outgrows its line.
  const serverName = `irc.${"s".repeat(150)}.example`;
  const fx = await setup(t, { server: { name: serverName }, irc: { nickLength: 64 } });
  const asker = await fx.raw(`asker${"q".repeat(59)}`);
  const nicks = Array.from({ length: 7 }, (_, i) => `n${i}${"x".repeat(62)}`);
  for (const nick of nicks) await fx.raw(nick);
  const request = `ISON ${nicks.join(" ")}`;
  assert.ok(request.length <= 510, `${request.length}`);
  const lines = await exchange(asker, request);
  const replies = lines.filter((l) => l.command === "303");
  assert.ok(replies.length >= 2, lines.map((l) => l.raw).join("\n"));
  for (const reply of replies) assert.ok(Buffer.byteLength(reply.raw) <= 510, `${Buffer.byteLength(reply.raw)}: ${reply.raw}`);
  assert.deepEqual(
    replies.flatMap((l) => l.params[1]!.split(" ")),
    nicks,
  );
});

test("JOIN keys pair with channels by position: an empty key item leaves the next key to the next channel", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#ka");
  await rawJoin(op, "op", "#kb");
  await exchange(op, "MODE #kb +k secret");
  const alice = await fx.raw("alice");
  const lines = await exchange(alice, "JOIN #ka,#kb ,secret");
  assert.deepEqual(
    lines.filter((l) => ["JOIN", "475"].includes(l.command)).map((l) => `${l.command} ${l.params.join(" ")}`),
    ["JOIN #ka", "JOIN #kb"],
    lines.map((l) => l.raw).join("\n"),
  );
  // By position still: a single key is the first channel's, not the keyed one's.
  const bob = await fx.raw("bob");
  const refused = await exchange(bob, "JOIN #ka,#kb secret");
  assert.deepEqual(
    refused.filter((l) => ["JOIN", "475"].includes(l.command)).map((l) => (l.command === "JOIN" ? `JOIN ${l.params[0]}` : `475 ${l.params[1]}`)),
    ["JOIN #ka", "475 #kb"],
    refused.map((l) => l.raw).join("\n"),
  );
});

test("341 RPL_INVITING names the channel as it is, not as the inviter typed it", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  await fx.raw("carol");
  await rawJoin(alice, "alice", "#kb2");
  const lines = await exchange(alice, "INVITE carol #KB2");
  const inviting = lines.find((l) => l.command === "341");
  assert.ok(inviting, lines.map((l) => l.raw).join("\n"));
  assert.deepEqual(inviting.params, ["alice", "carol", "#kb2"]);
});

test("696 ERR_INVALIDMODEPARAM names the rejected parameter, and * when none was given", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  await rawJoin(alice, "alice", "#c");
  const invalid = (await exchange(alice, "MODE #c +l abc")).filter((l) => l.command === "696");
  assert.deepEqual(
    invalid.map((l) => l.params.slice(0, 4)),
    [["alice", "#c", "l", "abc"]],
  );
  const badKey = (await exchange(alice, "MODE #c +k a:b")).filter((l) => l.command === "696");
  assert.deepEqual(
    badKey.map((l) => l.params.slice(0, 4)),
    [["alice", "#c", "k", "a:b"]],
  );
  const missing = (await exchange(alice, "MODE #c +l")).filter((l) => l.command === "696");
  assert.deepEqual(
    missing.map((l) => l.params.slice(0, 4)),
    [["alice", "#c", "l", "*"]],
  );
  // A parameter that cannot be written as a middle one (a space in it) is not echoed.
  const spaced = (await exchange(alice, "MODE #c +l :1 2")).filter((l) => l.command === "696");
  assert.deepEqual(
    spaced.map((l) => l.params.slice(0, 4)),
    [["alice", "#c", "l", "*"]],
  );
});

test("WHO with flags before % (ircu WHOX: [flags]%fields[,token]) filters and answers 354 with the fields asked", async (t) => {
  const fx = await setup(t, { irc: { operators: [{ name: "root", passwordHash: await hashPassword("root-password-1") }] } });
  const boss = await fx.raw("boss");
  await exchange(boss, "OPER root root-password-1");
  await rawJoin(boss, "boss", "#chan");
  const pleb = await fx.raw("pleb");
  await rawJoin(pleb, "pleb", "#chan");
  const lines = await exchange(pleb, "WHO #chan o%nt,42");
  assert.deepEqual(
    lines.filter((l) => ["352", "354"].includes(l.command)).map((l) => `${l.command} ${l.params.join(" ")}`),
    ["354 pleb 42 boss"],
    lines.map((l) => l.raw).join("\n"),
  );
  // Without flags, as before: every member, 354.
  const all = await exchange(pleb, "WHO #chan %n");
  assert.deepEqual(all.filter((l) => l.command === "354").map((l) => l.params[1]).sort(), ["boss", "pleb"]);
  // Flags alone: 352.
  const plain = await exchange(pleb, "WHO #chan o");
  assert.deepEqual(
    plain.filter((l) => ["352", "354"].includes(l.command)).map((l) => `${l.command} ${l.params[5]}`),
    ["352 boss"],
  );
});

test("a user who quits is dropped from the invite set of every channel that invited it", async (t) => {
  const fx = await setup(t);
  const op = await fx.raw("op");
  await rawJoin(op, "op", "#inv1");
  await rawJoin(op, "op", "#inv2");
  await exchange(op, "MODE #inv1 +i");
  const core = fx.server.server.chat.core;
  for (let round = 0; round < 3; round++) {
    const guest = await fx.raw(`guest${round}`);
    await exchange(op, `INVITE guest${round} #inv1`);
    await exchange(op, `INVITE guest${round} #inv2`);
    assert.equal(core.findChannel("#inv1")!.invited.size, 1);
    assert.equal(core.findChannel("#inv2")!.invited.size, 1);
    guest.send("QUIT :bye");
    await guest.closed;
    await waitFor(() => core.findChannel("#inv1")!.invited.size === 0 && core.findChannel("#inv2")!.invited.size === 0, { timeoutMs: 2000 }).catch(() => {
      assert.fail(`still invited after guest${round} quit: ${[...core.findChannel("#inv1")!.invited].join(",")} / ${[...core.findChannel("#inv2")!.invited].join(",")}`);
    });
  }
  // An invitation of a user still online is kept, and lets it in.
  await fx.raw("stays");
  await exchange(op, "INVITE stays #inv1");
  assert.equal(core.findChannel("#inv1")!.invited.size, 1);
});

test("an over-long labelled line gets its 417 labelled (labeled-response), so the client waiting for the label is answered", async (t) => {
  const fx = await setup(t);
  const client = await fx.raw("longlab", ["labeled-response", "batch", "message-tags"]);
  await rawJoin(client, "longlab", "#general");
  client.send(`@label=X PRIVMSG #general :${"a".repeat(600)}`);
  const reply = await client.waitFor(/ 417 /);
  assert.equal(reply, "@label=X :cmymessage.local 417 longlab :Input line was too long");
  // Without labeled-response, or with no label, the 417 stays as it was.
  const plain = await fx.raw("nolab");
  plain.send(`@label=Y PRIVMSG #general :${"a".repeat(600)}`);
  assert.equal(await plain.waitFor(/ 417 /), ":cmymessage.local 417 nolab :Input line was too long");
  client.send(`PRIVMSG #general :${"a".repeat(600)}`);
  assert.equal(await client.waitFor(/ 417 /), ":cmymessage.local 417 longlab :Input line was too long");
  // The connection goes on.
  const after = await exchange(client, "@label=Z PING after");
  assert.ok(after.some((l) => l.tags.get("label") === "Z" && l.command === "PONG"), after.map((l) => l.raw).join("\n"));
});
