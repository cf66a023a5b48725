/**
 * A node killed with SIGKILL and started again at once, long before the others would
 * give its earlier run up (cluster.nodeTimeoutSeconds, 30 s here): the new run takes
 * back at once what the earlier one held in Redis, so its always-on users come back
 * and a client reconnecting to it gets its nick again. An always-on user it cannot bring
 * back is logged with the reason. And a second process started under a running node's
 * name (an operator's mistake) takes nothing from it.
 * The nodes are real `cmymessage serve` processes (test/support/cluster.ts).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, startNode, type Cluster, type ClusterNode, type ConfigTree } from "../support/cluster.js";
import { alwaysOnAccount, rawClient, rawConnect, registerAccount, saslClient } from "../support/cluster-irc.js";
import { parseLine } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";

/** Far longer than the test's waits: anything that only works once the earlier run's heartbeat expired fails. */
const NODE_TIMEOUT_SECONDS = 30;
const CONFIG: ConfigTree = { cluster: { nodeTimeoutSeconds: NODE_TIMEOUT_SECONDS } };
/** How soon after the restarted node runs its users must be back: a couple of seconds. */
const BACK_WITHIN_MS = 3000;

/** Connects to `node` asking for `nick`; resolves with the nick of the 001, or the numeric that refused it. */
async function registerAs(owner: TestContext, node: ClusterNode, nick: string): Promise<{ client: RawClient; reply: string }> {
  const client = await rawConnect(owner, node);
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  const line = parseLine(await client.waitFor(/ (001|432|433) | FAIL /, BACK_WITHIN_MS));
  return { client, reply: line.command === "001" ? `001 ${line.params[0]}` : line.raw };
}

/** Starts `name` again on the cluster's Redis and database, as the operator's supervisor would. */
function restart(owner: TestContext, cluster: Cluster, name: string): Promise<ClusterNode> {
  return startNode(owner, { name, redisUrl: cluster.redis.url, databaseUrl: cluster.db.url, http: false, config: CONFIG });
}

clusterSuite("cluster: a node started again", () => {
  test("its always-on user is back in its channel and a client reconnecting gets its nick, within seconds rather than the node timeout", async (t) => {
    const cluster = await startCluster(t, ["cr-a", "cr-b"], { http: false, config: CONFIG });
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const password = "crash-restart-password";
    const dave = await alwaysOnAccount(t, b, "crdave", password);
    dave.send("JOIN #crash");
    await dave.waitFor(/ 366 crdave #crash /);
    dave.send("QUIT :the always-on user stays");
    await dave.closed;

    const carol = await rawClient(t, b, "crcarol");
    const watcher = await rawClient(t, a, "crwatch");
    watcher.send("JOIN #crash");
    const listed = await watcher.waitFor(/ 353 crwatch . #crash :/);
    assert.match(listed, /crdave/, "the always-on user is in its channel before the crash");

    await b.kill("SIGKILL");
    await carol.closed;
    watcher.lines.splice(0);
    const again = await restart(t, cluster, b.name);

    // (1) The always-on user is back in its channel, as the other node sees it.
    await watcher.waitFor(/^:crdave!\S+ JOIN #crash$/, BACK_WITHIN_MS).catch((error: Error) => {
      throw new Error(`no JOIN of the always-on user seen on ${a.name} within ${BACK_WITHIN_MS} ms of the restart (${error.message}); lines: ${watcher.lines.join(" | ")}\n${again.tail(20)}`);
    });
    watcher.send("WHOIS crdave");
    assert.match(await watcher.waitFor(/ (311|401) crwatch crdave /), / 311 /, "WHOIS of the restored always-on user");

    // (2) The client that was on the killed node takes its nick back there.
    const back = await registerAs(t, again, "crcarol");
    assert.equal(back.reply, "001 crcarol", "the reconnecting client gets its old nick on the restarted node");
    assert.equal(
      again.logs.some((line) => /always-on user not restored/.test(line.msg)),
      false,
      again.tail(20),
    );
  });

  test("an always-on user whose nick another node's user took meanwhile is not restored, and the node logs why", async (t) => {
    const cluster = await startCluster(t, ["lost-a", "lost-b"], { http: false, config: CONFIG });
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const password = "always-on-lost-password";
    const dave = await alwaysOnAccount(t, b, "lostdave", password);
    dave.send("QUIT :the always-on user stays");
    await dave.closed;

    await b.stop();
    // Stopped, its users quit: the nick is free, and a guest on the other node takes it.
    await rawClient(t, a, "lostdave");
    const again = await restart(t, cluster, b.name);
    const warning = await again.waitForLog((line) => /always-on user not restored/.test(line.msg), 5000);
    assert.equal(warning["level"], 40, JSON.stringify(warning));
    assert.equal(warning["account"], "lostdave");
    assert.equal(warning["nick"], "lostdave");
    assert.match(String(warning["reason"]), /another user holds the nick on node lost-a/);
  });

  test("a second process started under a running node's name takes none of its nicks, and both say so in their logs", async (t) => {
    const cluster = await startCluster(t, ["dup-a", "dup-b"], { http: false, config: CONFIG });
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const holder = await rawClient(t, b, "dupheld");
    const duplicate = await restart(t, cluster, b.name);

    await duplicate.waitForLog((line) => /node names must be unique/.test(line.msg) && line["level"] === 50, 5000);
    await b.waitForLog((line) => /node names must be unique/.test(line.msg) && line["level"] === 50, 5000);
    for (const node of [duplicate, a]) {
      const attempt = await registerAs(t, node, "dupheld");
      assert.match(attempt.reply, / 433 /, `the running node's user keeps its nick, asked on ${node.name}`);
      attempt.client.close();
    }
    holder.send("PING :still-here");
    await holder.waitFor(/ PONG .*still-here/);
  });
});
