/**
 * A JOIN that would create a channel on a node of a cluster first reads its registration
 * from the database: a channel registered on another node moments ago (long before this
 * node's periodic refresh) gets its founder and kept modes here, and its first joiner is
 * not made its operator. Real `cmymessage serve` nodes (test/support/cluster.ts), with the
 * refresh set far beyond the test.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, Teardown, type Cluster, type ClusterNode } from "../support/cluster.js";
import { names, registerAccount, saslClient } from "../support/cluster-irc.js";
import { exchange, textOf } from "../support/irc-lines.js";

clusterSuite("cluster: a JOIN asks for the channel's registration", () => {
  const teardown = new Teardown();
  let cluster: Cluster;
  let n1: ClusterNode, n2: ClusterNode;
  before(async () => {
    cluster = await startCluster(teardown, ["node-1", "node-2"], { http: false, config: { chat: { registrationRefreshSeconds: 3600 } } });
    [n1, n2] = cluster.nodes as [ClusterNode, ClusterNode];
    for (const name of ["carol", "dan"]) await registerAccount(teardown, n1, name, `${name}-cluster-password`);
  });
  after(() => teardown.run());

  test("a channel registered on one node and emptied: its first joiner on the other node, before any refresh, is not its operator and gets the kept modes", async (t) => {
    const { client: carol } = await saslClient(t, n1, "carol", "carol", "carol-cluster-password");
    carol.send("JOIN #fresh");
    await carol.waitFor(/ 366 carol #fresh /i);
    await exchange(carol, "MODE #fresh +s");
    const registered = await exchange(carol, "PRIVMSG ChanServ :REGISTER #fresh");
    assert.deepEqual(registered.filter((line) => line.command === "NOTICE").map(textOf), ["#fresh is registered to carol."]);
    const { client: dan } = await saslClient(t, n2, "dan", "dan", "dan-cluster-password");
    carol.send("PART #fresh");
    await carol.waitFor(/ PART #fresh/i);
    // Gone from node-2 too before dan joins there: he re-creates it.
    const watcher = dan;
    for (let i = 0; i < 100 && (await names(watcher, "#fresh")).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    dan.send("JOIN #fresh");
    await dan.waitFor(/ 366 dan #fresh /i);
    // Before: node-2 had not refreshed, so dan was made operator of a registered channel.
    assert.deepEqual(await names(dan, "#fresh"), ["dan"]);
    const modes = (await exchange(dan, "MODE #fresh")).find((line) => line.command === "324")?.params[2] ?? "";
    assert.match(modes, /s/, "the registered +s is back");
  });
});
