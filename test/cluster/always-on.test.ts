/**
 * Always-on users in a cluster: a node that starts again restores its always-on users
 * only once it knows the channels live on the other nodes, so their joins meet those
 * channels' +i, +k and bans like anyone's, and take no op. The nodes are real
 * `cmymessage serve` processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, Teardown, type Cluster, type ClusterNode } from "../support/cluster.js";
import { startNode } from "../support/cluster-node.js";
import { alwaysOnAccount, rawClient, registerAccount, saslClient } from "../support/cluster-irc.js";
import { waitFor } from "../support/wait.js";
import pg from "pg";

clusterSuite("cluster: always-on users", () => {
  const teardown = new Teardown();
  let cluster: Cluster;
  let a: ClusterNode, b: ClusterNode;
  before(async () => {
    cluster = await startCluster(teardown, ["ao-a", "ao-b"], { http: false });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(() => teardown.run());

  test("an always-on user that comes back through another node: its automatic away ends there and everywhere, what it does there is kept, and its leaving sets it away again", async (t) => {
    const password = "always-on-elsewhere-password";
    const home = await alwaysOnAccount(t, b, "aoeve", password);
    home.send("QUIT :off for now");
    await home.closed;

    const watcher = await rawClient(t, a, "aoevewatch");
    const awayNow = async (): Promise<boolean> => {
      watcher.lines.splice(0);
      watcher.send("WHOIS aoeve");
      await watcher.waitFor(/ 318 aoevewatch aoeve /, 5000);
      return watcher.lines.some((line) => / 301 aoevewatch aoeve :Not connected/.test(line));
    };
    await waitFor(awayNow, { timeoutMs: 10_000, intervalMs: 200, what: "the always-on user set away" });

    // Back through node A (its home is B).
    const elsewhere = await saslClient(t, a, "aoeve", "aoeve", password);
    assert.equal(elsewhere.welcomedAs, "aoeve");
    await waitFor(async () => !(await awayNow()), { timeoutMs: 10_000, intervalMs: 200, what: "the automatic away to end" });
    elsewhere.client.send("JOIN #aoelsewhere");
    await elsewhere.client.waitFor(/ 366 aoeve #aoelsewhere /);
    const db = new pg.Client({ connectionString: cluster.db.url });
    await db.connect();
    t.after(() => db.end());
    await waitFor(
      async () => {
        const { rows } = await db.query<{ channels: string }>("select channels from always_on_users where nick = $1", ["aoeve"]);
        return rows[0]?.channels.includes("#aoelsewhere");
      },
      { timeoutMs: 10_000, intervalMs: 200, what: "the channel joined through node A kept for the next restart" },
    );

    elsewhere.client.send("QUIT :gone again");
    await elsewhere.client.closed;
    await waitFor(awayNow, { timeoutMs: 10_000, intervalMs: 200, what: "the always-on user set away again" });
  });

  test("a node that starts again restores its always-on users into the live channels as they are: a channel locked meanwhile keeps them out, and they take no op", async (t) => {
    const password = "always-on-cluster-password";
    await registerAccount(t, b, "aodave", password);

    const op = await rawClient(t, a, "aolockop");
    op.send("JOIN #aolock");
    await op.waitFor(/ 366 aolockop #aolock /);
    const dave = await saslClient(t, b, "aodave", "aodave", password);
    dave.client.send("PRIVMSG NickServ :SET ALWAYS-ON ON");
    await dave.client.waitFor(/NOTICE aodave :ALWAYS-ON is now ON/, 5000);
    dave.client.send("JOIN #aolock");
    await op.waitFor(/^:aodave!\S+ JOIN #aolock/);
    dave.client.send("QUIT :gone for now");
    await dave.client.closed;

    await b.stop();
    op.send("MODE #aolock +ikb sekret aodave!*@*");
    await op.waitFor(/ MODE #aolock \+ikb sekret :?aodave!\*@\*$/);
    op.lines.splice(0);

    const restarted = await startNode(teardown, { name: "ao-b", redisUrl: cluster.redis.url, databaseUrl: cluster.db.url, http: false });
    // The always-on user is back (on the restarted node), outside the channel it was locked out of.
    // Asked until the restored user has reached this node (over Redis).
    await waitFor(
      async () => {
        op.send("WHOIS aodave");
        return / 311 /.test(await op.waitFor(/ (311|401) aolockop aodave /, 5000));
      },
      { timeoutMs: 15_000, intervalMs: 200, what: `${restarted.name} to restore the always-on user` },
    );
    op.send("NAMES #aolock");
    const names = await op.waitFor(/ 353 aolockop . #aolock :/);
    assert.doesNotMatch(names, /aodave/, "the banned always-on user was let into the locked channel");
    assert.equal(op.lines.filter((line) => / JOIN #aolock/.test(line)).length, 0, op.lines.join("\n"));
  });

  test("a node started again right after a crash does not wait for its own earlier run to answer", async () => {
    const crashed = a;
    await crashed.kill("SIGKILL");
    // Its heartbeat in Redis outlives it for the node timeout; the new run must not wait for it.
    const again = await startNode(teardown, { name: crashed.name, redisUrl: cluster.redis.url, databaseUrl: cluster.db.url, http: false });
    // Started means its always-on users were restored, after the wait for the other nodes.
    await again.waitForLog((line) => line.msg === "cluster: joined", 10_000);
    assert.equal(
      again.logs.some((line) => /not every node answered/.test(String(line.msg))),
      false,
      again.tail(20),
    );
  });
});
