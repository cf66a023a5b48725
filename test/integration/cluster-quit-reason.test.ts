/**
 * One account's user with a connection on each of two nodes (multiclient across nodes):
 * when its last connection ends on the node the user does not live on, the channel's
 * members on both nodes see the QUIT with that connection's own reason, as on one node,
 * not a made-up "Connection closed". Real `cmymessage serve` processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, Teardown, type ClusterNode } from "../support/cluster.js";
import { rawClient, registerAccount, saslClient } from "../support/cluster-irc.js";
import { textOf, parseLine } from "../support/irc-lines.js";

clusterSuite("cluster: a multiclient user's QUIT reason", () => {
  const teardown = new Teardown();
  let node1: ClusterNode, node2: ClusterNode;
  before(async () => {
    const cluster = await startCluster(teardown, ["node1", "node2"], { http: false });
    [node1, node2] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(() => teardown.run());

  test("the last connection, on the other node, ends with QUIT :myreason: watchers on both nodes see QUIT :Quit: myreason", async (t) => {
    const password = "cluster-quit-reason-password";
    const channel = "#qr";
    await registerAccount(t, node1, "eve", password);
    const watchers = [await rawClient(t, node1, "watch1"), await rawClient(t, node2, "watch2")];
    // The user lives on node1, where it logged in first.
    const { client: first } = await saslClient(t, node1, "eve", "eve", password);
    first.send(`JOIN ${channel}`);
    await first.waitFor(/ 366 eve #qr /);
    for (const [i, watcher] of watchers.entries()) {
      watcher.send(`JOIN ${channel}`);
      await watcher.waitFor(new RegExp(` 366 watch${i + 1} #qr `));
    }
    const { client: second, welcomedAs } = await saslClient(t, node2, "eve", "eve", password);
    assert.equal(welcomedAs, "eve", "the connection on node2 is the same user");
    await second.waitFor(/^:eve!\S+ JOIN #qr/);
    // node1 must know of the session on node2 before the one on node1 ends, or that end is the QUIT:
    // node2 sent that news before this message, on the one connection that keeps its order.
    second.send(`PRIVMSG ${channel} :here on node2 too`);
    await watchers[0]!.waitFor(/^:eve!\S+ PRIVMSG #qr :here on node2 too$/);

    first.send("QUIT :first");
    await first.closed;
    second.send("QUIT :myreason");
    await second.closed;
    for (const [i, watcher] of watchers.entries()) {
      const quit = parseLine(await watcher.waitFor(/^:eve!\S+ QUIT /));
      assert.equal(textOf(quit), "Quit: myreason", `watch${i + 1} (on node${i + 1}) sees the last connection's reason`);
    }
  });
});
