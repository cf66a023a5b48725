/**
 * Clusters on different databases of one Redis are separate networks. Redis pub/sub
 * ignores the database number, so the nodes name their channels after it: database 0
 * keeps `cmy:state` and `cmy:node:<instance>` (a cluster there upgrades node by node),
 * database N uses `cmy:<N>:state` and `cmy:<N>:node:<instance>`. Three one-node clusters
 * on databases 12, 13 and 0 of one Redis: none sees the others' users, and what each
 * publishes (users, addresses, channel keys) travels only on its own database's channels,
 * as a raw Redis subscriber on another database sees. Two nodes on database 7 are one
 * network as on database 0.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { clusterSuite, freshPostgresDatabase, startNode, startRedis, Teardown, type ClusterNode, type RedisServer } from "../support/cluster.js";
import { bareNick, names, rawClient } from "../support/cluster-irc.js";
import { exchange } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";

/** Each cluster: its database number ("" for none in the URL), its node and user, and where its channels must be. */
const CLUSTERS = [
  { db: "12", node: "prod1", nick: "produser", key: "prodkey", away: "prod-away-text", channels: /^cmy:12:(state|node:prod1~[0-9a-f]+)$/ },
  { db: "13", node: "staging1", nick: "staginguser", key: "stagingkey", away: "staging-away-text", channels: /^cmy:13:(state|node:staging1~[0-9a-f]+)$/ },
  { db: "", node: "legacy1", nick: "legacyuser", key: "legacykey", away: "legacy-away-text", channels: /^cmy:(state|node:legacy1~[0-9a-f]+)$/ },
] as const;

const CHANNEL = "#shared";

clusterSuite("cluster: the Redis database number separates clusters", () => {
  const teardown = new Teardown();
  let redis: RedisServer;
  let nodes: ClusterNode[];
  /** Every message published on any `cmy:` channel, as a subscriber on database 5 receives it. */
  const heard: Array<{ readonly channel: string; readonly text: string }> = [];
  before(async () => {
    redis = await startRedis(teardown);
    const outsider = new Redis(`${redis.url}/5`);
    teardown.add("closing the outside subscriber", () => outsider.disconnect());
    outsider.on("pmessage", (_pattern: string, channel: string, text: string) => heard.push({ channel, text }));
    await outsider.psubscribe("cmy:*");
    nodes = await Promise.all(
      CLUSTERS.map(async ({ db, node }) => {
        const database = await freshPostgresDatabase(teardown);
        return startNode(teardown, { name: node, redisUrl: db === "" ? redis.url : `${redis.url}/${db}`, databaseUrl: database.url, http: false });
      }),
    );
  });
  after(() => teardown.run());

  test("a JOIN on one cluster is not in NAMES on the others, and each cluster's state travels only on its database's channels", async (t) => {
    const clients: RawClient[] = [];
    for (const [i, cluster] of CLUSTERS.entries()) {
      const client = await rawClient(t, nodes[i]!, cluster.nick);
      client.send(`JOIN ${CHANNEL}`);
      await client.waitFor(new RegExp(` 366 ${cluster.nick} ${CHANNEL} `, "i"));
      clients.push(client);
    }
    // AWAY goes out after the JOIN on one connection: once Redis has carried each away text,
    // whatever another cluster would hear of the JOINs, it has had.
    for (const [i, cluster] of CLUSTERS.entries()) clients[i]!.send(`AWAY :${cluster.away}`);
    await waitFor(() => CLUSTERS.every(({ away }) => heard.some(({ text }) => text.includes(away))), {
      timeoutMs: 5000,
      intervalMs: 50,
      what: "every cluster's away text to be published",
    });

    for (const [i, cluster] of CLUSTERS.entries()) {
      assert.deepEqual((await names(clients[i]!, CHANNEL)).map(bareNick), [cluster.nick], `NAMES ${CHANNEL} on ${cluster.node} lists only its own cluster's member`);
      for (const other of CLUSTERS) {
        if (other === cluster) continue;
        const whois = await exchange(clients[i]!, `WHOIS ${other.nick}`);
        assert.ok(
          whois.some((line) => line.command === "401") && !whois.some((line) => line.command === "311"),
          `${other.nick} (on ${other.node}) is unknown on ${cluster.node}: ${whois.map((line) => line.raw).join(" | ")}`,
        );
      }
    }

    for (const [i, cluster] of CLUSTERS.entries()) clients[i]!.send(`MODE ${CHANNEL} +k ${cluster.key}`);
    await waitFor(() => CLUSTERS.every(({ key }) => heard.some(({ text }) => text.includes(key))), {
      timeoutMs: 5000,
      intervalMs: 50,
      what: "every cluster's channel key to be published",
    });
    for (const cluster of CLUSTERS) {
      const carrying = new Set(heard.filter(({ text }) => [cluster.nick, cluster.key, cluster.away].some((secret) => text.includes(secret))).map(({ channel }) => channel));
      assert.ok(carrying.size > 0, `${cluster.node}'s state was published`);
      for (const channel of carrying) assert.match(channel, cluster.channels, `${cluster.node} (database ${cluster.db || 0}) publishes its users and keys only on its database's channels`);
    }

    // What each node listens on, by Redis's own list of channels with subscribers: node channels are named after the database too.
    const commands = new Redis(redis.url);
    t.after(() => commands.disconnect());
    const subscribed = ((await commands.pubsub("CHANNELS", "cmy:*")) as string[]).sort();
    for (const cluster of CLUSTERS) {
      const own = subscribed.filter((channel) => cluster.channels.test(channel));
      assert.equal(own.length, 2, `${cluster.node} listens on its database's state channel and its own node channel: ${subscribed.join(", ")}`);
    }
    assert.equal(subscribed.length, CLUSTERS.length * 2, `no other channels are listened on: ${subscribed.join(", ")}`);
  });

  test("two nodes on one database other than 0 are one network: NAMES on both lists both members, and a DM crosses nodes", async (t) => {
    const database = await freshPostgresDatabase(t);
    const [x, y] = await Promise.all(["db7-x", "db7-y"].map((name) => startNode(t, { name, redisUrl: `${redis.url}/7`, databaseUrl: database.url, http: false })));
    const xavier = await rawClient(t, x!, "xavier");
    const yvonne = await rawClient(t, y!, "yvonne");
    for (const client of [xavier, yvonne]) {
      await waitFor(async () => (await names(client, "#general")).map(bareNick).sort().join(" ") === "xavier yvonne", {
        timeoutMs: 5000,
        intervalMs: 100,
        what: "NAMES #general to list both members on both nodes",
      });
    }
    xavier.send("PRIVMSG yvonne :across database 7");
    await yvonne.waitFor(/^:xavier!\S+ PRIVMSG yvonne :across database 7$/, 5000);
    assert.ok(
      heard.some(({ channel, text }) => /^cmy:7:node:db7-y~[0-9a-f]+$/.test(channel) && text.includes("across database 7")),
      "the DM went on node y's channel of database 7",
    );
  });
});
