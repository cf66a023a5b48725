/**
 * A node that drops off the network (its network namespace's link goes down, no
 * reset, no error: packets just stop): for the others its users QUIT within the node
 * timeout, and its own users see the others QUIT; when the link comes back it
 * re-syncs by itself (a net-join) and its users are seen and heard again. Runs as root with `ip` (test/support/netns.ts); Redis and the
 * PostgreSQL forwarder listen on the bridge in the root namespace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { freshPostgresDatabase, netnsClusterSuite, NODE_TEST_CONFIG, startNetnsHosts, startNode, startRedis } from "../support/cluster.js";
import { bareNick, names, rawClient } from "../support/cluster-irc.js";
import { parseLine, textOf } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";

const NODE_TIMEOUT_MS = (NODE_TEST_CONFIG["cluster"] as { nodeTimeoutSeconds: number }).nodeTimeoutSeconds * 1000;
const DETECTION_SLACK_MS = 2000;

function heard(client: RawClient, nick: string, prefix: string): boolean {
  return client.lines.some((raw) => {
    const line = parseLine(raw);
    return line.command === "PRIVMSG" && line.source.startsWith(`${nick}!`) && textOf(line).startsWith(prefix);
  });
}

netnsClusterSuite(
  "cluster: a node cut off the network",
  () => {
    test("cut: its users QUIT on the other node within the node timeout; healed: it re-syncs, its users are seen and heard again, and they saw the others leave and come back", async (t) => {
      const network = await startNetnsHosts(t, 2);
      const [hostA, hostB] = network.hosts;
      const redis = await startRedis(t, { bind: network.bridgeAddress });
      const db = await freshPostgresDatabase(t);
      const databaseUrl = await network.reachable(db.url);
      const [a, b] = await Promise.all(
        [hostA!, hostB!].map((host, i) => startNode(t, { name: `node-${"ab"[i]}`, redisUrl: redis.url, databaseUrl, bind: host.address, netns: host.namespace, http: false })),
      );
      const onA = await rawClient(t, a!, "cutuser");
      const onB = await rawClient(t, b!, "staysuser");
      const observer = await rawClient(t, b!, "observer");
      await waitFor(async () => (await names(observer, "#general")).map(bareNick).includes("cutuser"), { timeoutMs: 10_000, intervalMs: 100, what: "cutuser in NAMES on node-b" });

      const cutAt = Date.now();
      await network.cut(hostA!);
      const bound = NODE_TIMEOUT_MS + DETECTION_SLACK_MS;
      const quit = await onB.waitFor(/^:cutuser!\S+ QUIT /, bound + 500);
      const took = Date.now() - cutAt;
      assert.ok(took <= bound, `the QUIT came ${took} ms after the cut; at most ${bound} ms`);
      assert.match(textOf(parseLine(quit)), /Node node-a is unreachable/);

      await network.heal(hostA!);
      await waitFor(async () => (await names(observer, "#general")).map(bareNick).includes("cutuser"), {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: "cutuser listed on node-b again after the heal",
      });
      let attempt = 0;
      await waitFor(
        () => {
          attempt++;
          onA.send(`PRIVMSG #general :from a ${attempt}`);
          onB.send(`PRIVMSG #general :from b ${attempt}`);
          return heard(onB, "cutuser", "from a ") && heard(onA, "staysuser", "from b ");
        },
        { timeoutMs: 20_000, intervalMs: 250, what: "messages both ways between the healed node and the other" },
      );
      // The cut-off node showed its users the others leaving (a net-split), then coming back.
      await onA.waitFor(/^:staysuser!\S+ QUIT /, 1000);
      await onA.waitFor(/^:staysuser!\S+ JOIN #general/, 1000);
    });
  },
);
