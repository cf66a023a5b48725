/**
 * Two channel operators on two nodes change one topic, key or member's voice at once: every
 * node keeps the newer change, and no member is shown the older one after it (InspIRCd and TS6
 * servers drop an FTOPIC/FMODE that loses on its timestamp instead of relaying it). A member's
 * op and voice are two modes: a +v on one node and a +o on the other both stay. Not left to timing:
 * node1 reaches Redis through a proxy the test stalls, so node1's change (made first, the older)
 * reaches node2 only after node2 made and showed its own, newer one; then the proxy lets it through.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, freshPostgresDatabase, startNode, startRedis, Teardown, type ClusterNode } from "../support/cluster.js";
import { bareNick, converged, names, rawClient, topic } from "../support/cluster-irc.js";
import { exchange, parseLine } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { waitFor } from "../support/wait.js";

const CHANNEL = "#kr0";
/** Long enough that nobody gives node1 up while its link to Redis is stalled. */
const NODE_TIMEOUT_SECONDS = 30;
/** Between the two changes: node2's is later by the clock, so the newer one, whatever the msgids. */
const CLOCK_STEP_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

clusterSuite("cluster: a topic or mode change that lost a race is not shown", () => {
  const teardown = new Teardown();
  let proxy: TcpProxy;
  let node1: ClusterNode, node2: ClusterNode;
  /** Channel operators: alice on node1, bob on node2. */
  let alice: RawClient, bob: RawClient;
  /** Plain members: dave on node1, carol on node2. */
  let dave: RawClient, carol: RawClient;
  let observers: Array<{ node: string; client: RawClient }>;
  let markers = 0;

  before(async () => {
    const [redis, db] = await Promise.all([startRedis(teardown), freshPostgresDatabase(teardown)]);
    proxy = await TcpProxy.start(redis.host, redis.port);
    teardown.add("closing the proxy", () => proxy.close());
    const config = { cluster: { nodeTimeoutSeconds: NODE_TIMEOUT_SECONDS } };
    [node1, node2] = await Promise.all([
      startNode(teardown, { name: "node1", redisUrl: `redis://${redis.host}:${proxy.port}`, databaseUrl: db.url, http: false, config }),
      startNode(teardown, { name: "node2", redisUrl: redis.url, databaseUrl: db.url, http: false, config }),
    ]);
    alice = await rawClient(teardown, node1, "alice");
    alice.send(`JOIN ${CHANNEL}`);
    await alice.waitFor(/ 366 alice #kr0 /);
    bob = await rawClient(teardown, node2, "bob");
    // multi-prefix: NAMES shows a member's voice under its op.
    dave = await rawClient(teardown, node1, "dave", { caps: ["multi-prefix"] });
    carol = await rawClient(teardown, node2, "carol", { caps: ["multi-prefix"] });
    observers = [
      { node: node1.name, client: dave },
      { node: node2.name, client: carol },
    ];
    // The channel exists on node2 before anyone joins there: not a channel created twice.
    await waitFor(async () => (await names(carol, CHANNEL)).includes("@alice"), { timeoutMs: 5000, intervalMs: 50, what: `${CHANNEL} seen on node2` });
    for (const [client, nick] of [
      [bob, "bob"],
      [dave, "dave"],
      [carol, "carol"],
    ] as const) {
      client.send(`JOIN ${CHANNEL}`);
      await client.waitFor(new RegExp(` 366 ${nick} #kr0 `));
    }
    await converged(observers, (client) => names(client, CHANNEL), { what: "all four members on both nodes", accept: (list) => list.length === 4 });
    alice.send(`MODE ${CHANNEL} +o bob`);
    await converged(observers, (client) => names(client, CHANNEL), { what: "bob an operator on both nodes", accept: (list) => list.includes("@bob") });
  });
  after(() => teardown.run());

  /**
   * alice's change made while node1 cannot reach Redis, then bob's a moment later; then
   * node1's link is let through, and each node has applied the other's change before the
   * test reads what its members were shown (a message sent after it by the same node has arrived).
   */
  async function race(aliceLine: string, aliceEcho: RegExp, bobLine: string, bobEcho: RegExp): Promise<void> {
    for (const { client } of observers) client.lines.length = 0;
    proxy.stall();
    try {
      alice.send(aliceLine);
      await alice.waitFor(aliceEcho);
      await sleep(CLOCK_STEP_MS);
      bob.send(bobLine);
      await bob.waitFor(bobEcho);
    } finally {
      proxy.restore();
    }
    const marker = `marker ${++markers}`;
    alice.send(`PRIVMSG ${CHANNEL} :${marker} from node1`);
    bob.send(`PRIVMSG ${CHANNEL} :${marker} from node2`);
    await carol.waitFor(new RegExp(`^:alice!\\S+ PRIVMSG #kr0 :${marker} from node1$`));
    await dave.waitFor(new RegExp(`^:bob!\\S+ PRIVMSG #kr0 :${marker} from node2$`));
  }

  /** The `command` lines on #kr0 `client` was shown since the race began, as their parameters after the channel. */
  function shown(client: RawClient, command: string): string[] {
    return client.lines
      .map(parseLine)
      .filter((line) => line.command === command && line.params[0]?.toLowerCase() === CHANNEL)
      .map((line) => line.params.slice(1).join(" "));
  }

  /** The prefix of `nick`'s ranks ("@+", "@", "+", "") that the MODE lines `client` was shown since the race began make of `from`. */
  function rankShown(client: RawClient, nick: string, from: string): string {
    const ranks = new Set(from);
    for (const change of shown(client, "MODE")) {
      const [letters = "", ...args] = change.split(" ");
      let on = true;
      for (const letter of letters) {
        if (letter === "+" || letter === "-") {
          on = letter === "+";
          continue;
        }
        // Of the modes a channel operator sets, those with a parameter: only +l's is left out when unset.
        const arg = "ovbeIk".includes(letter) || (letter === "l" && on) ? args.shift() : undefined;
        if ((letter !== "o" && letter !== "v") || arg?.toLowerCase() !== nick) continue;
        const prefix = letter === "o" ? "@" : "+";
        if (on) ranks.add(prefix);
        else ranks.delete(prefix);
      }
    }
    return ["@", "+"].filter((prefix) => ranks.has(prefix)).join("");
  }

  /** `nick`'s prefixes in #kr0 once both nodes' NAMES agree, and `accept` takes them. */
  async function rankHeld(nick: string, what: string, accept: (prefix: string) => boolean): Promise<string> {
    const prefixOf = (list: readonly string[]): string => {
      const entry = list.find((name) => bareNick(name) === nick) ?? "";
      return entry.slice(0, entry.length - nick.length);
    };
    return prefixOf(await converged(observers, (client) => names(client, CHANNEL), { what, accept: (list) => accept(prefixOf(list)) }));
  }

  test("TOPIC on two nodes at once: the members on the side whose newer topic won are not shown the older one after it", async () => {
    await race(`TOPIC ${CHANNEL} :topicA`, /^:alice!\S+ TOPIC #kr0 :topicA$/, `TOPIC ${CHANNEL} :topicB`, /^:bob!\S+ TOPIC #kr0 :topicB$/);
    assert.equal(await converged(observers, (client) => topic(client, CHANNEL), { what: "one topic on both nodes" }), "topicB", "the newer topic is kept everywhere");
    assert.deepEqual(shown(carol, "TOPIC"), ["topicB"], "carol (node2) is not shown node1's older topic after the newer one");
    assert.deepEqual(shown(dave, "TOPIC"), ["topicA", "topicB"], "dave (node1) is shown both, the newer last");
  });

  test("MODE +k on two nodes at once: the members on the side whose newer key won are not shown the older one after it", async () => {
    await race(`MODE ${CHANNEL} +k keyA`, /^:alice!\S+ MODE #kr0 \+k keyA$/, `MODE ${CHANNEL} +k keyB`, /^:bob!\S+ MODE #kr0 \+k keyB$/);
    const modes = async (client: RawClient): Promise<string> => (await exchange(client, `MODE ${CHANNEL}`)).find((line) => line.command === "324")?.params.slice(2).join(" ") ?? "";
    const held = await converged(observers, modes, { what: "one key on both nodes" });
    assert.match(held, /k.* keyB$/, `the newer key is kept everywhere: ${held}`);
    assert.deepEqual(shown(carol, "MODE"), ["+k keyB"], "carol (node2) is not shown node1's older key after the newer one");
    assert.deepEqual(shown(dave, "MODE"), ["+k keyA", "+k keyB"], "dave (node1) is shown both, the newer last");
  });

  test("+v and +o of one member on two nodes at once: both are kept on every node, and the members on each side are shown both", async () => {
    await race(`MODE ${CHANNEL} +v carol`, /^:alice!\S+ MODE #kr0 \+v carol$/, `MODE ${CHANNEL} +o carol`, /^:bob!\S+ MODE #kr0 \+o carol$/);
    const held = await rankHeld("carol", "carol's rank alike on both nodes", (prefix) => prefix.startsWith("@"));
    assert.equal(rankShown(dave, "carol", ""), held, `dave (node1) is shown carol's rank as every node holds it: ${shown(dave, "MODE").join(", ")}`);
    assert.equal(rankShown(carol, "carol", ""), held, `carol (node2) is shown her rank as every node holds it: ${shown(carol, "MODE").join(", ")}`);
    assert.equal(held, "@+", "voice and op are separate modes: neither change undoes the other");
    assert.deepEqual(shown(dave, "MODE"), ["+v carol", "+o carol"]);
    assert.deepEqual(shown(carol, "MODE"), ["+o carol", "+v carol"]);
  });

  test("a member's voice changed on two nodes at once: the members on the side whose newer change won are not shown the older one after it", async () => {
    alice.send(`MODE ${CHANNEL} +v carol`);
    const voiced = await rankHeld("carol", "carol voiced on both nodes", (prefix) => prefix.includes("+"));
    await race(`MODE ${CHANNEL} -v carol`, /^:alice!\S+ MODE #kr0 -v carol$/, `MODE ${CHANNEL} -v carol`, /^:bob!\S+ MODE #kr0 -v carol$/);
    const held = await rankHeld("carol", "carol unvoiced on both nodes", (prefix) => !prefix.includes("+"));
    assert.deepEqual(shown(carol, "MODE"), ["-v carol"], "carol (node2) is not shown node1's older change of her rank after the newer one");
    assert.equal(rankShown(dave, "carol", voiced), held, `dave (node1) is shown carol's rank as every node holds it: ${shown(dave, "MODE").join(", ")}`);
  });
});
