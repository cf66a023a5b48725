/**
 * An always-on user's own away message and user modes, set through a connection on a node
 * other than the one it lives on, are kept for the next restart at once (by the node it lives
 * on, which saves it), not only when that connection ends. The nodes are real
 * `cmymessage serve` processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { clusterSuite, startCluster, Teardown, type Cluster, type ClusterNode } from "../support/cluster.js";
import { alwaysOnAccount, saslClient } from "../support/cluster-irc.js";
import { waitFor } from "../support/wait.js";

clusterSuite("cluster: an always-on user's away and modes set through another node", () => {
  const teardown = new Teardown();
  let cluster: Cluster;
  let a: ClusterNode, b: ClusterNode;
  before(async () => {
    cluster = await startCluster(teardown, ["aw-a", "aw-b"], { http: false });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(() => teardown.run());

  test("AWAY and MODE +i through node A are stored by node B, its home, while the connection on A is still there", async (t) => {
    const password = "always-on-away-elsewhere";
    const home = await alwaysOnAccount(t, b, "awfay", password);
    home.send("QUIT :off for now");
    await home.closed;

    const elsewhere = await saslClient(t, a, "awfay", "awfay", password);
    assert.equal(elsewhere.welcomedAs, "awfay");
    elsewhere.client.send("AWAY :set through A");
    await elsewhere.client.waitFor(/ 306 awfay /);
    elsewhere.client.send("MODE awfay +i");
    await elsewhere.client.waitFor(/ MODE awfay :?\+i$/);

    const db = new pg.Client({ connectionString: cluster.db.url });
    await db.connect();
    t.after(() => db.end());
    // Before: node B saved them only when the last connection ended (a stop of B meanwhile lost them),
    // and two writes of one user could land out of order on PostgreSQL (the older, away ended at attach, last).
    const stored = await waitFor(
      async () => {
        const { rows } = await db.query<{ away: string | null; modes: string }>("select away, modes from always_on_users where nick = $1", ["awfay"]);
        const row = rows[0];
        return row?.away === "set through A" && row.modes.includes("i") ? row : null;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: "the away message and +i set through node A stored by node B" },
    );
    assert.equal(stored.modes, "i");
  });
});
