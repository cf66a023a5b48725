/**
 * Replies bigger than the send queue (irc.sendQueueBytes): LIST, NAMES, WHO #chan and
 * CHATHISTORY are written as the client reads them (paced), so asking for one never
 * disconnects the client that asked, and a client that never reads does not make the
 * server buffer them (SAFELIST).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { SERVER, closeAll, closesWithin, delay, sync } from "./helpers.js";

const SEND_QUEUE = 16384;
/** Channels with long topics: their LIST is several times the send queue. */
const CHANNELS = 120;
/** Members of #general with long nicks, usernames and realnames: its NAMES (userhost-in-names) and WHO are several times the send queue. */
const CROWD = 300;

let server: TestServer;
const crowd: RawClient[] = [];

const pad = (prefix: string, length: number): string => (prefix + "x".repeat(length)).slice(0, length);

before(async () => {
  server = await startTestServer({
    limits: { connectionsPerIp: 1000 },
    irc: { sendQueueBytes: SEND_QUEUE, maxChannelsPerUser: CHANNELS + 10, nickLength: 64, userLength: 64, realnameLength: 390 },
  });
  // The crowd of #general, registered a few at a time; they stop reading nothing big: they are never sent much.
  for (let start = 0; start < CROWD; start += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, CROWD - start) }, async (_, offset) => {
        const i = start + offset;
        const client = await RawClient.connect(server.port);
        // Nicks short enough that the plain NAMES of #general fits the send queue (so the crowd itself stays), hostmasks long enough that userhost-in-names does not.
        client.send(`NICK ${pad(`c${i}n`, 36)}`);
        client.send(`USER ${pad(`c${i}u`, 64)} 0 * :${pad(`crowd ${i} `, 390)}`);
        await client.waitFor(/ 366 /, 20_000);
        return client;
      }),
    );
    crowd.push(...batch);
    for (const client of batch) client.lines.length = 0;
  }
  // One owner of many channels with the longest topics.
  const owner = await RawClient.register(server.port, "owner");
  crowd.push(owner);
  const names = Array.from({ length: CHANNELS }, (_, i) => `#big${String(i).padStart(3, "0")}`);
  // A few at a time: the echoes of 120 topics run in one turn would pass the send queue themselves.
  for (let i = 0; i < names.length; i += 10) {
    owner.send(`JOIN ${names.slice(i, i + 10).join(",")}`);
    for (const name of names.slice(i, i + 10)) owner.send(`TOPIC ${name} :${pad(`topic of ${name} `, 390)}`);
    await sync(owner, 20_000);
  }
  owner.lines.length = 0;
});

after(async () => {
  closeAll(...crowd);
  await server.stop();
});

/** The lines received up to the first that matches `end` (included, last), in order; they are taken from the client's list. */
async function linesUntil(client: RawClient, end: RegExp | ((line: string) => boolean), timeoutMs = 20_000): Promise<string[]> {
  const test = typeof end === "function" ? end : (line: string) => end.test(line);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const index = client.lines.findIndex(test);
    if (index !== -1) return client.lines.splice(0, index + 1);
    assert.ok(!client.isClosed, `the connection closed before the end of the reply; got ${client.lines.length} lines`);
    assert.ok(Date.now() < deadline, `timed out waiting for ${String(end)} after ${client.lines.length} lines`);
    await delay(20);
  }
}

/** The client is still connected: a PING after everything gets its PONG. */
async function stillConnected(client: RawClient): Promise<void> {
  await sync(client, 20_000);
  assert.equal(client.isClosed, false);
}

test("LIST many times the send queue: the whole list arrives, the client stays", async () => {
  const client = await RawClient.register(server.port, "lister");
  try {
    client.lines.length = 0;
    client.send("LIST");
    const lines = await linesUntil(client, / 323 lister :End of \/LIST$/);
    const listed = lines.filter((line) => / 322 lister #big\d{3} 1 :topic of /.test(line));
    assert.equal(listed.length, CHANNELS);
    await stillConnected(client);
  } finally {
    client.close();
  }
});

test("NAMES with userhost-in-names of a crowded channel: at registration (auto-join) and asked for, the whole list arrives", async () => {
  const client = await RawClient.connect(server.port);
  try {
    client.send("CAP REQ :userhost-in-names multi-prefix");
    client.send("NICK namer");
    client.send("USER namer 0 * :namer");
    client.send("CAP END");
    const countNames = (lines: string[]): number =>
      lines.filter((line) => / 353 namer = #general :/.test(line)).flatMap((line) => line.slice(line.indexOf(" :") + 2).split(" ")).length;
    const burst = await linesUntil(client, / 366 namer #general :End of \/NAMES list\.$/);
    assert.ok(burst.findIndex((line) => / 376 | 422 /.test(line)) < burst.findIndex((line) => / JOIN :?#general$/.test(line)), "the welcome burst comes before the JOIN");
    // The crowd, the owner and the newcomer itself.
    assert.equal(countNames(burst), CROWD + 2);
    await stillConnected(client);

    client.send("NAMES #general");
    const asked = await linesUntil(client, / 366 namer #general :End of \/NAMES list\.$/);
    assert.equal(countNames(asked), CROWD + 2);
    await stillConnected(client);
  } finally {
    client.close();
  }
});

test("WHO of a crowded channel: every member arrives, then RPL_ENDOFWHO, and the client stays", async () => {
  const client = await RawClient.register(server.port, "whoer");
  try {
    await client.waitFor(/ 366 whoer #general /);
    client.lines.length = 0;
    client.send("WHO #general");
    const lines = await linesUntil(client, / 315 whoer #general :End of WHO list$/);
    assert.equal(lines.filter((line) => / 352 whoer #general /.test(line)).length, CROWD + 2);
    await stillConnected(client);
  } finally {
    client.close();
  }
});

test("CHATHISTORY LATEST many times the send queue: the whole batch, its end last, plain and labelled", async () => {
  const poster = await RawClient.register(server.port, "poster");
  const reader = await RawClient.register(server.port, "reader", "127.0.0.1", ["batch", "server-time", "message-tags", "labeled-response"]);
  try {
    // The reader joins once they are posted: 120 live messages in one turn would pass its send queue themselves.
    poster.send("JOIN #hist");
    for (let i = 0; i < 120; i++) poster.send(`PRIVMSG #hist :${pad(`message ${i} `, 400)}`);
    await sync(poster, 20_000);
    reader.send("JOIN #hist");
    await reader.waitFor(/ 366 reader #hist /);
    await delay(200);
    reader.lines.length = 0;

    reader.send("CHATHISTORY LATEST #hist * 100");
    const plain = await linesUntil(reader, /^:\S+ BATCH -/);
    const opener = plain.find((line) => / BATCH \+\S+ chathistory #hist$/.test(line));
    assert.ok(opener, "the chathistory batch opens");
    const ref = / BATCH \+(\S+) /.exec(opener)![1]!;
    assert.equal(plain.filter((line) => line.includes(`batch=${ref}`) && line.includes(" PRIVMSG #hist :message ")).length, 100);
    assert.equal(plain.at(-1), `:${SERVER} BATCH -${ref}`);
    await stillConnected(reader);

    reader.send("@label=big CHATHISTORY LATEST #hist * 100");
    const labelledOpener = /^@label=big :\S+ BATCH \+(\S+) labeled-response$/;
    const labelled = await linesUntil(reader, (line) => {
      const outerOpen = reader.lines.find((seen) => labelledOpener.test(seen));
      return outerOpen !== undefined && line === `:${SERVER} BATCH -${labelledOpener.exec(outerOpen)![1]!}`;
    });
    const outerRef = labelledOpener.exec(labelled[0] ?? "")?.[1];
    assert.ok(outerRef, `the labeled-response batch opens the reply: ${labelled[0]}`);
    assert.equal(labelled.at(-1), `:${SERVER} BATCH -${outerRef}`, "the labeled-response batch ends last");
    assert.equal(labelled.filter((line) => line.includes(" PRIVMSG #hist :message ")).length, 100);
    await stillConnected(reader);
  } finally {
    closeAll(poster, reader);
  }
});

test("a client that never reads while asking for LIST again and again is neither dropped for it nor buffered without bound", async () => {
  const greedy = await RawClient.register(server.port, "greedy");
  const other = await RawClient.register(server.port, "bystander");
  try {
    greedy.lines.length = 0;
    greedy.socket.pause();
    // ~57 KB each: 100 of them are far more than the kernel's buffers and the send queue.
    const rounds = 100;
    greedy.sendBytes("LIST\r\n".repeat(rounds));
    await delay(1500);
    // The server stays responsive to everyone else meanwhile.
    await sync(other, 5000);
    assert.equal(greedy.isClosed, false, "the greedy client was not dropped for the size of its replies");
    assert.equal(await closesWithin(greedy, 500), false);
    // Once it reads, it gets every list, whole.
    greedy.socket.resume();
    for (let i = 0; i < rounds; i++) await greedy.waitFor(/ 323 greedy :End of \/LIST$/, 30_000);
    assert.equal(greedy.lines.filter((line) => / 322 greedy #big/.test(line)).length, rounds * CHANNELS);
    await stillConnected(greedy);
  } finally {
    closeAll(greedy, other);
  }
});
