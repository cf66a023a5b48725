import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, eventually, ircLogin, isProblem } from "../support/http-client.js";
import { rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import type { MessagePage } from "../../src/http/schemas.js";

let server: TestServer;
let api: ApiClient;
const tokens: Record<string, string> = {};
const clients: RawClient[] = [];

before(async () => {
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } });
  api = ApiClient.forPort(server.httpPort);
  for (const name of ["alice", "bob", "carol", "dave"]) tokens[name] = (await api.register(name)).tokens.accessToken;
});
after(async () => {
  for (const client of clients) client.close();
  await server.stop();
});

async function irc(nick: string): Promise<RawClient> {
  const client = await ircLogin(server.port, nick);
  clients.push(client);
  return client;
}

async function page(channel: string, who: string, query = ""): Promise<MessagePage> {
  const reply = await api.channelMessages(channel, tokens[who]!, query);
  assert.equal(reply.status, 200, reply.text);
  return reply.body;
}

test("channel history holds what was said over IRC, oldest first, paged with before=", async () => {
  const alice = await irc("alice");
  for (let i = 1; i <= 5; i++) alice.send(`PRIVMSG #general :hello ${i}`);
  alice.send("NOTICE #general :a notice");
  await rawSync(alice);
  const all = await eventually(async () => {
    const body = await page("#general", "bob");
    assert.equal(body.messages.length, 6);
    return body;
  });
  assert.deepEqual(
    all.messages.map((m) => m.text),
    ["hello 1", "hello 2", "hello 3", "hello 4", "hello 5", "a notice"],
  );
  assert.equal(all.more, false);
  const first = all.messages[0]!;
  assert.equal(first.kind, "privmsg");
  assert.equal(all.messages[5]!.kind, "notice");
  assert.equal(first.target, "#general");
  assert.equal(first.from.nick, "alice");
  assert.match(first.time, /^\d{4}-\d{2}-\d{2}T/);
  const times = all.messages.map((m) => Date.parse(m.time));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));

  // Pages of two, walking back with before=<first msgid of the page>.
  const newest = await page("#general", "bob", "?limit=2");
  assert.deepEqual(newest.messages.map((m) => m.text), ["hello 5", "a notice"]);
  assert.equal(newest.more, true);
  const older = await page("#general", "bob", `?limit=2&before=${newest.messages[0]!.msgid}`);
  assert.deepEqual(older.messages.map((m) => m.text), ["hello 3", "hello 4"]);
  assert.equal(older.more, true);
  const oldest = await page("#general", "bob", `?limit=2&before=${older.messages[0]!.msgid}`);
  assert.deepEqual(oldest.messages.map((m) => m.text), ["hello 1", "hello 2"]);
  assert.equal(oldest.more, false);

  // before= a time: everything strictly older than it. The leading # may be left out.
  const byTime = await page("general", "bob", `?before=${encodeURIComponent(new Date(Date.parse(all.messages[2]!.time) + 1).toISOString())}`);
  assert.ok(byTime.messages.every((m) => Date.parse(m.time) <= Date.parse(all.messages[2]!.time)));
  assert.ok(byTime.messages.some((m) => m.text === "hello 3"));
  assert.deepEqual((await page("#general", "bob", "?before=2000-01-01T00:00:00Z")).messages, []);
  assert.deepEqual((await page("#general", "bob", "?before=2000-01-01")).messages, []);
  // An unknown msgid is an empty page, not an error.
  assert.deepEqual((await page("#general", "bob", "?before=nosuchmsgid")).messages, []);
  assert.ok(isProblem(await api.channelMessages("#general", tokens["bob"]!, "?before=yesterday%20noon"), 400));
  // A limit the validator's coercion turns into ±Infinity is refused like any out-of-range one (found by fuzzing: it was a 500).
  for (const limit of ["1e999", "-1e999", "201"]) {
    const r = await api.channelMessages("#general", tokens["bob"]!, `?limit=${limit}`);
    assert.ok(isProblem(r, 400), `${limit} ${r.status} ${r.text}`);
  }
});

test("before= as a time in a form the routes do not take, or a date not in the calendar, is 400 invalid-reference, not an empty page", async () => {
  const alice = clients[0] ?? (await irc("alice"));
  alice.send("JOIN #dates");
  alice.send("PRIVMSG #dates :said before any of these times");
  await rawSync(alice);
  await eventually(async () => assert.equal((await page("#dates", "alice")).messages.length, 1));
  for (const before of ["20300101T120000Z", "2030-W01-1", "2030-05-01T12", "2024-02-30", "2023-02-29T12:00:00Z"]) {
    const query = `?before=${encodeURIComponent(before)}`;
    for (const reply of [await api.channelMessages("#dates", tokens["alice"]!, query), await api.dmMessages("bob", tokens["alice"]!, query)]) {
      assert.ok(isProblem(reply, 400), `${before}: ${reply.status} ${reply.text}`);
      assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:invalid-reference", before);
    }
  }
  // The same times written as the routes take them still page.
  assert.equal((await page("#dates", "alice", "?before=2030-01-01T12:00:00Z")).messages.length, 1);
  assert.equal((await page("#dates", "alice", "?before=2024-02-29")).messages.length, 0);
});

test("history needs a token; channels that do not exist now are 404", async () => {
  assert.ok(isProblem(await api.channelMessages("#general", "bad.token.here"), 401));
  assert.ok(isProblem(await api.get("/api/v1/channels/%23general/messages"), 401));
  assert.ok(isProblem(await api.channelMessages("#nowhere", tokens["bob"]!), 404));
});

test("the channel list shows live channels with topic and member count, never secret ones", async () => {
  const alice = clients[0] ?? (await irc("alice"));
  alice.send("JOIN #open");
  alice.send("TOPIC #open :all welcome");
  alice.send("JOIN #hidden");
  alice.send("MODE #hidden +s");
  await rawSync(alice);
  const reply = await api.get<{ channels: Array<{ name: string; topic: string | null; members: number }> }>("/api/v1/channels");
  assert.equal(reply.status, 200);
  const names = reply.body.channels.map((c) => c.name);
  assert.ok(names.includes("#general") && names.includes("#open"));
  assert.ok(!names.includes("#hidden"));
  assert.deepEqual(reply.body.channels.find((c) => c.name === "#open"), { name: "#open", topic: "all welcome", members: 1 });
});

test("a secret channel's history is only for accounts whose IRC user is in it", async () => {
  const alice = clients[0] ?? (await irc("alice"));
  alice.send("JOIN #hidden");
  alice.send("MODE #hidden +s");
  alice.send("PRIVMSG #hidden :for members only");
  await rawSync(alice);
  const members = await eventually(async () => {
    const body = await page("#hidden", "alice");
    assert.equal(body.messages.length, 1);
    return body;
  });
  assert.equal(members.messages[0]!.text, "for members only");
  // bob has no IRC session in it: the channel looks like one that does not exist.
  const outsider = await api.channelMessages("#hidden", tokens["bob"]!);
  assert.ok(isProblem(outsider, 404));
  assert.equal(outsider.text, (await api.channelMessages("#doesnotexist", tokens["bob"]!)).text.replace("#doesnotexist", "#hidden"));
  // Once bob is in the channel over IRC, his account may read it.
  const bob = await irc("bob");
  bob.send("JOIN #hidden");
  await bob.waitFor(/ 366 /);
  assert.equal((await page("#hidden", "bob")).messages.length, 1);
});

test("direct messages: both sides read the same conversation; others see none of it; offline messages too", async () => {
  const alice = clients[0] ?? (await irc("alice"));
  const bob = clients.find((c) => c !== alice) ?? (await irc("bob"));
  alice.send("PRIVMSG bob :hi bob");
  await bob.waitFor(/PRIVMSG bob :hi bob/);
  bob.send("PRIVMSG alice :hi alice");
  await alice.waitFor(/PRIVMSG alice :hi alice/);
  // carol is registered but offline: the message is kept for her.
  alice.send("PRIVMSG carol :are you there?");
  await rawSync(alice);

  const forAlice = await eventually(async () => {
    const reply = await api.dmMessages("bob", tokens["alice"]!);
    assert.equal(reply.body.messages.length, 2);
    return reply.body;
  });
  assert.deepEqual(forAlice.messages.map((m) => [m.from.nick, m.text]), [["alice", "hi bob"], ["bob", "hi alice"]]);
  const forBob = await api.dmMessages("ALICE", tokens["bob"]!);
  assert.deepEqual(forBob.body.messages.map((m) => m.msgid), forAlice.messages.map((m) => m.msgid));

  assert.deepEqual((await api.dmMessages("bob", tokens["dave"]!)).body.messages, []);
  assert.deepEqual((await api.dmMessages("alice", tokens["dave"]!)).body.messages, []);
  const carol = await eventually(async () => {
    const reply = await api.dmMessages("alice", tokens["carol"]!);
    assert.equal(reply.body.messages.length, 1);
    return reply.body;
  });
  assert.equal(carol.messages[0]!.text, "are you there?");
  // Paging works the same way here.
  const newest = await api.dmMessages("bob", tokens["alice"]!, "?limit=1");
  assert.deepEqual(newest.body.messages.map((m) => m.text), ["hi alice"]);
  assert.equal(newest.body.more, true);
  assert.ok(isProblem(await api.dmMessages("1not-a-name", tokens["alice"]!), 400));
  assert.ok(isProblem(await api.dmMessages("bob", tokens["alice"]!, "?limit=1e999"), 400));
});

test("with history turned off the message routes say so (404 problem)", async (t) => {
  const off = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, history: { enabled: false } });
  t.after(() => off.stop());
  const offApi = ApiClient.forPort(off.httpPort);
  const session = await offApi.register("alice");
  const reply = await offApi.dmMessages("bob", session.tokens.accessToken);
  assert.ok(isProblem(reply, 404));
  assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:history-disabled");
});
