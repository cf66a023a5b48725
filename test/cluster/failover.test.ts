/**
 * When part of a cluster fails: a node killed with SIGKILL (its users QUIT for the
 * others within the node timeout and their nicks are free), Redis going away (chat on
 * one node goes on, new nicks wait with FAIL NICK TEMPORARILY_UNAVAILABLE, /readyz
 * says 503; all recovers by itself), and Redis restarted empty in the middle of
 * traffic (chat resumes and every message a sender saw accepted is in history).
 * Each test has its own Redis, database and nodes (test/support/cluster.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, NODE_TEST_CONFIG, startCluster, type ClusterNode } from "../support/cluster.js";
import { bareNick, converged, escapeRegExp, names, rawClient, rawConnect, wholeHistory } from "../support/cluster-irc.js";
import { HISTORY_CAPS, parseLine, textOf } from "../support/irc-lines.js";
import { rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";

/** cluster.nodeTimeoutSeconds in the nodes' test config. */
const NODE_TIMEOUT_MS = (NODE_TEST_CONFIG["cluster"] as { nodeTimeoutSeconds: number }).nodeTimeoutSeconds * 1000;
/** What the contract allows past the node timeout for the others to act on it. */
const DETECTION_SLACK_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until NAMES of `channel` on every client's node lists all of `nicks`. */
async function allListed(clients: ReadonlyArray<{ node: ClusterNode; client: RawClient }>, channel: string, nicks: readonly string[]): Promise<void> {
  await converged(
    clients.map(({ node, client }) => ({ node: node.name, client })),
    async (client) => (await names(client, channel)).map(bareNick).sort(),
    { what: `NAMES ${channel} listing ${nicks.join(", ")} on every node`, accept: (listed) => nicks.every((nick) => listed.includes(nick)), timeoutMs: 10_000 },
  );
}

/** `client` received a PRIVMSG on `channel` from `nick` whose text matches (not consumed). */
function received(client: RawClient, nick: string, channel: string, text: (text: string) => boolean): boolean {
  return client.lines.some((raw) => {
    const line = parseLine(raw);
    return line.command === "PRIVMSG" && line.source.startsWith(`${nick}!`) && line.params[0] === channel && text(textOf(line));
  });
}

/** GET `path` on `node`: status, content type and parsed JSON body. */
async function getJson(node: ClusterNode, path: string): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const response = await fetch(`${node.httpBase}${path}`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { unparsed: text };
  }
  return { status: response.status, type: response.headers.get("content-type") ?? "", body };
}

/**
 * Sends `<prefix> <i>` to `channel` over and over until stopped, waiting for each
 * echo (echo-message): `acked` is what the server told the sender it accepted.
 */
function chatter(client: RawClient, channel: string, prefix: string): { readonly acked: string[]; sent: () => number; stop: () => Promise<void> } {
  const acked: string[] = [];
  let stopped = false;
  let i = 0;
  const maxMessages = 600;
  const loop = (async () => {
    for (; i < maxMessages && !stopped; i++) {
      const text = `${prefix} ${i}`;
      client.send(`PRIVMSG ${channel} :${text}`);
      const reply = await client
        .waitFor((raw) => {
          const line = parseLine(raw);
          return (line.command === "PRIVMSG" && line.params[0] === channel && textOf(line) === text && line.source.startsWith(`${prefix}!`)) || (line.command === "FAIL" && line.params[0] === "PRIVMSG");
        }, 3000)
        .catch(() => null);
      if (reply !== null && parseLine(reply).command === "PRIVMSG") acked.push(text);
      await sleep(25);
    }
  })();
  return {
    acked,
    sent: () => i,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

clusterSuite("cluster: failures", () => {
  test("a node killed with SIGKILL: its users QUIT for the others within the node timeout, and a user's nick is free at once on another node", async (t) => {
    const { nodes } = await startCluster(t, ["node-a", "node-b"], { http: false });
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    await rawClient(t, a, "victim1");
    await rawClient(t, a, "victim2");
    const watcher = await rawClient(t, b, "watcher");
    await allListed([{ node: b, client: watcher }], "#general", ["victim1", "victim2", "watcher"]);

    const killed = Date.now();
    await a.kill("SIGKILL");
    const bound = NODE_TIMEOUT_MS + DETECTION_SLACK_MS;
    const quits = await Promise.all(["victim1", "victim2"].map((nick) => watcher.waitFor(new RegExp(`^:${nick}!\\S+ QUIT `), bound + 500)));
    const took = Date.now() - killed;
    assert.ok(took <= bound, `the QUITs came ${took} ms after the kill; at most ${bound} ms (node timeout + ${DETECTION_SLACK_MS} ms)`);
    for (const quit of quits) assert.match(textOf(parseLine(quit)), /Node node-a is unreachable/, `the QUIT says why: ${quit}`);

    // The nick is free everywhere at once: no 433 on the surviving node.
    const back = await rawClient(t, b, "victim1", { timeoutMs: 3000 });
    await rawSync(back);
    const listed = (await names(watcher, "#general")).map(bareNick);
    assert.ok(listed.includes("victim1") && !listed.includes("victim2"), `NAMES after: ${listed.join(" ")}`);
  });

  test("Redis down: chat on one node goes on, new nicks get FAIL NICK TEMPORARILY_UNAVAILABLE, /readyz is 503; Redis back: all recovers by itself", async (t) => {
    const { nodes, redis } = await startCluster(t, ["node-a", "node-b"]);
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const ready = await getJson(a, "/readyz");
    assert.equal(ready.status, 200, `/readyz with Redis up: ${JSON.stringify(ready.body)}`);
    assert.deepEqual(ready.body, { status: "ready", node: "node-a", checks: { database: "ok", redis: "ok" } });

    const alice = await rawClient(t, a, "alice");
    const amy = await rawClient(t, a, "amy");
    const bob = await rawClient(t, b, "bob");
    await allListed([{ node: a, client: alice }, { node: b, client: bob }], "#general", ["alice", "amy", "bob"]);

    await redis.stop();
    const down = await waitFor(
      async () => {
        const reply = await getJson(a, "/readyz");
        return reply.status === 503 ? reply : undefined;
      },
      { timeoutMs: 5000, intervalMs: 100, what: "/readyz to answer 503 with Redis down" },
    );
    assert.match(down.type, /^application\/problem\+json/);
    assert.match(String(down.body["detail"]), /redis/i, `the problem names the failing check: ${JSON.stringify(down.body)}`);

    alice.send("PRIVMSG #general :same node, no redis");
    await amy.waitFor(/^:alice!\S+ PRIVMSG #general :same node, no redis$/, 5000);

    const newcomer = await rawConnect(t, a);
    newcomer.send("NICK newcomer");
    newcomer.send("USER newcomer 0 * :newcomer");
    const fail = parseLine(await newcomer.waitFor(/ FAIL NICK | 001 /, 5000));
    assert.deepEqual([fail.command, ...fail.params.slice(0, 3)], ["FAIL", "NICK", "TEMPORARILY_UNAVAILABLE", "newcomer"], `registration waits for Redis: ${fail.raw}`);
    alice.send("NICK alice2");
    const renamed = parseLine(await alice.waitFor(/ FAIL NICK | NICK :?alice2/, 5000));
    assert.deepEqual([renamed.command, ...renamed.params.slice(0, 3)], ["FAIL", "NICK", "TEMPORARILY_UNAVAILABLE", "alice2"], `NICK waits for Redis: ${renamed.raw}`);

    await redis.restart();
    await waitFor(async () => (await getJson(a, "/readyz")).status === 200, { timeoutMs: 10_000, intervalMs: 100, what: "/readyz to answer 200 with Redis back" });
    // Chat across nodes resumes by itself: retry until a message gets through each way.
    let attempt = 0;
    await waitFor(
      () => {
        attempt++;
        alice.send(`PRIVMSG #general :a to b ${attempt}`);
        bob.send(`PRIVMSG #general :b to a ${attempt}`);
        return received(bob, "alice", "#general", (text) => text.startsWith("a to b ")) && received(alice, "bob", "#general", (text) => text.startsWith("b to a "));
      },
      { timeoutMs: 15_000, intervalMs: 250, what: "messages between node-a and node-b after Redis came back" },
    );
    const later = await rawClient(t, b, "latecomer", { timeoutMs: 10_000 });
    await rawSync(later);
  });

  test("Redis restarted (empty) in the middle of traffic: chat between nodes resumes by itself and every message a sender saw accepted is in history", async (t) => {
    const { nodes, redis } = await startCluster(t, ["node-a", "node-b"], { http: false });
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const channel = "#traffic";
    const senderA = await rawClient(t, a, "senda", { caps: HISTORY_CAPS });
    const senderB = await rawClient(t, b, "sendb", { caps: HISTORY_CAPS });
    for (const [client, nick] of [
      [senderA, "senda"],
      [senderB, "sendb"],
    ] as const) {
      client.send(`JOIN ${channel}`);
      await client.waitFor(new RegExp(` 366 ${nick} ${escapeRegExp(channel)} `));
    }
    await allListed([{ node: a, client: senderA }, { node: b, client: senderB }], channel, ["senda", "sendb"]);

    const fromA = chatter(senderA, channel, "senda");
    const fromB = chatter(senderB, channel, "sendb");
    try {
      await waitFor(() => fromA.acked.length >= 15 && fromB.acked.length >= 15 && received(senderB, "senda", channel, () => true), {
        timeoutMs: 10_000,
        what: "traffic across nodes before the restart",
      });
      await redis.stop();
      const atStop = [fromA.acked.length, fromB.acked.length];
      await sleep(1000);
      // Redis down: each node still accepts (stores and delivers locally) its users' channel messages.
      assert.ok(fromA.acked.length > atStop[0]! && fromB.acked.length > atStop[1]!, `messages accepted while Redis was down: senda ${fromA.acked.length - atStop[0]!}, sendb ${fromB.acked.length - atStop[1]!}`);
      await redis.restart();
      const [sinceA, sinceB] = [fromA.sent(), fromB.sent()];
      const after = (since: number) => (text: string) => Number(text.split(" ")[1]) > since;
      await waitFor(() => received(senderB, "senda", channel, after(sinceA)) && received(senderA, "sendb", channel, after(sinceB)), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: "messages between the nodes after Redis restarted",
      });
    } finally {
      await Promise.all([fromA.stop(), fromB.stop()]);
    }

    const reader = await rawClient(t, b, "reader", { caps: HISTORY_CAPS });
    reader.send(`JOIN ${channel}`);
    await reader.waitFor(new RegExp(` 366 reader ${escapeRegExp(channel)} `));
    const history = await wholeHistory(reader, channel);
    const missing = [...fromA.acked, ...fromB.acked].filter((text) => !history.includes(text));
    assert.deepEqual(missing, [], `accepted but not in history (${fromA.acked.length + fromB.acked.length} accepted, ${history.length} in history)`);
    const duplicates = history.filter((text, i) => history.indexOf(text) !== i);
    assert.deepEqual(duplicates, [], "each message is stored once");
  });
});
