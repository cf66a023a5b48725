/**
 * One rule for reading history, whichever door asks: the same questions put to
 * IRC CHATHISTORY and to the HTTP history routes get the same answer — the same
 * messages, or a refusal from both. The expected column pins the rule itself
 * (docs/accounts.md, "Who may read history").
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { RawClient } from "../support/raw-client.js";
import { chathistory, exchange, HISTORY_CAPS, say, textOf } from "../support/irc-lines.js";

let server: TestServer;
let api: ApiClient;
const tokens: Record<string, string> = {};
const irc: Record<string, RawClient> = {};

async function connect(nick: string, login: boolean): Promise<RawClient> {
  const client = await RawClient.register(server.port, nick, "127.0.0.1", HISTORY_CAPS);
  if (login) {
    client.send(`PRIVMSG NickServ :IDENTIFY ${nick} ${PASSWORD}`);
    await client.waitFor(/ 900 /);
  }
  irc[nick] = client;
  return client;
}

async function join(client: RawClient, channel: string, ...setup: string[]): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 \\S+ ${channel} `));
  for (const line of setup) await exchange(client, line);
}

async function chanservRegister(client: RawClient, channel: string): Promise<void> {
  client.send(`PRIVMSG ChanServ :REGISTER ${channel}`);
  await client.waitFor((line) => line.includes(`:${channel} is registered to`));
}

before(async () => {
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } });
  api = ApiClient.forPort(server.httpPort);
  for (const name of ["alice", "bob", "carol"]) tokens[name] = (await api.register(name)).tokens.accessToken;
  const alice = await connect("alice", true);
  const bob = await connect("bob", true);
  await connect("carol", true);
  await connect("gus", false);

  await join(alice, "#open");
  await say(alice, "#open", "open one");
  await say(alice, "#open", "open two");
  await join(alice, "#hidden", "MODE #hidden +s");
  await say(alice, "#hidden", "secret talk");
  await join(alice, "#closed", "MODE #closed +i");
  await say(alice, "#closed", "invite-only talk");
  await join(alice, "#nobob", "MODE #nobob +b bob!*@*");
  await say(alice, "#nobob", "bob is banned here");
  // An account extban: JOIN refuses bob's account whatever his nick, and so must history.
  await join(alice, "#noacct", "MODE #noacct +b a:bob");
  await say(alice, "#noacct", "bob's account is banned here");
  // Registered channels that everyone has left: they live on in the registry.
  await join(alice, "#reg");
  await chanservRegister(alice, "#reg");
  await say(alice, "#reg", "registered talk");
  await exchange(alice, "PART #reg");
  await join(alice, "#regsecret", "MODE #regsecret +s");
  await chanservRegister(alice, "#regsecret");
  await say(alice, "#regsecret", "registered secret");
  await exchange(alice, "PART #regsecret");
  // An unregistered channel everyone left no longer exists.
  await join(alice, "#gone");
  await say(alice, "#gone", "said in a channel now gone");
  await exchange(alice, "PART #gone");

  await say(alice, "bob", "hi bob");
  await say(bob, "alice", "hi alice");
  await say(irc["gus"]!, "alice", "a guest writes");
});

after(async () => {
  for (const client of Object.values(irc)) client.close();
  await server.stop();
});

type Answer = readonly string[] | "refused";

/** What IRC CHATHISTORY LATEST answers `reader` for `target`. */
async function overIrc(reader: string, target: string): Promise<Answer> {
  const reply = await chathistory(irc[reader]!, `LATEST ${target} * 50`);
  if (!reply.ok) {
    assert.equal(reply.fail.params[1], "INVALID_TARGET", reply.fail.raw);
    return "refused";
  }
  return reply.messages.map(textOf);
}

/** What the HTTP history route answers `reader` (a guest has no token) for `target`. */
async function overHttp(reader: string, target: string): Promise<Answer> {
  const token = tokens[reader] ?? "";
  const reply = target.startsWith("#") ? await api.channelMessages(target, token) : await api.dmMessages(target, token);
  if (reply.status === 200) return reply.body.messages.map((m) => m.text);
  assert.ok([401, 404].includes(reply.status), `${reply.status} ${reply.text}`);
  return "refused";
}

const table: ReadonlyArray<{ readonly what: string; readonly reader: string; readonly target: string; readonly expected: Answer }> = [
  { what: "a member reads an open channel", reader: "alice", target: "#open", expected: ["open one", "open two"] },
  { what: "an account not in an open channel reads it", reader: "bob", target: "#open", expected: ["open one", "open two"] },
  { what: "a guest not in an open channel", reader: "gus", target: "#open", expected: "refused" },
  { what: "a member reads a secret (+s) channel", reader: "alice", target: "#hidden", expected: ["secret talk"] },
  { what: "an account not in a secret channel", reader: "bob", target: "#hidden", expected: "refused" },
  { what: "an account not in an invite-only channel", reader: "bob", target: "#closed", expected: "refused" },
  { what: "an account the channel bans", reader: "bob", target: "#nobob", expected: "refused" },
  { what: "an account the channel does not ban", reader: "carol", target: "#nobob", expected: ["bob is banned here"] },
  { what: "an account the channel bans by account (+b a:bob)", reader: "bob", target: "#noacct", expected: "refused" },
  { what: "an account another account's extban does not name", reader: "carol", target: "#noacct", expected: ["bob's account is banned here"] },
  { what: "an account reads an open registered channel nobody is in", reader: "bob", target: "#reg", expected: ["registered talk"] },
  { what: "the founder reads a secret registered channel nobody is in", reader: "alice", target: "#regsecret", expected: ["registered secret"] },
  { what: "another account, a secret registered channel nobody is in", reader: "bob", target: "#regsecret", expected: "refused" },
  { what: "an unregistered channel everyone left", reader: "alice", target: "#gone", expected: "refused" },
  { what: "a channel that never existed", reader: "alice", target: "#nowhere", expected: "refused" },
  { what: "a DM party reads the conversation", reader: "alice", target: "bob", expected: ["hi bob", "hi alice"] },
  { what: "the other DM party reads the same conversation", reader: "bob", target: "alice", expected: ["hi bob", "hi alice"] },
  { what: "a stranger names one party: only its own (empty) conversation", reader: "carol", target: "alice", expected: [] },
  { what: "an account holder reads what a guest wrote to it", reader: "alice", target: "gus", expected: ["a guest writes"] },
  { what: "a guest cannot read direct history", reader: "gus", target: "alice", expected: "refused" },
  { what: "a nick that is neither online nor an account", reader: "alice", target: "nobody", expected: [] },
];

for (const row of table) {
  test(`${row.what}: IRC and HTTP give the same answer`, async () => {
    const [viaIrc, viaHttp] = [await overIrc(row.reader, row.target), await overHttp(row.reader, row.target)];
    assert.deepEqual(viaIrc, viaHttp, `IRC and HTTP disagree for ${row.reader} reading ${row.target}`);
    assert.deepEqual(viaIrc, row.expected);
  });
}
