/**
 * In a cluster, an account is marked seen by the node that holds its session, for a
 * direct message sent from another node: after that node's `kill -9`, the message its
 * recipient was shown live is not "arrived while you were away" at the next login,
 * while one sent when the recipient really was offline is. Real `cmymessage serve`
 * processes on one Redis and one PostgreSQL database (test/support/cluster.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "../../src/store/database.js";
import { clusterSuite, startCluster, startNode, type ClusterNode } from "../support/cluster.js";
import { registerAccount, saslClient } from "../support/cluster-irc.js";
import { say } from "../support/irc-lines.js";
import { waitFor } from "../support/wait.js";

const PASSWORD = "cluster-last-seen-Password-42";
const SENDER_CAPS = ["echo-message", "server-time", "message-tags"];

/** When the shared database says `account` was last seen, or null. */
async function lastSeen(databaseUrl: string, node: ClusterNode, account: string): Promise<number | null> {
  const store = await openStore({ url: databaseUrl, dataDir: node.dataDir, migrate: false });
  try {
    const row = await store.db.selectFrom("accounts").select("last_seen_at").where("name_folded", "=", account).executeTakeFirst();
    return row?.last_seen_at == null ? null : Number(row.last_seen_at);
  } finally {
    await store.close();
  }
}

clusterSuite("cluster: when an account was last seen", () => {
  test("a direct message shown on another node than its sender's is not replayed as missed after that node's kill -9", async (t) => {
    const cluster = await startCluster(t, ["seen-a", "seen-b"], { http: false });
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    await registerAccount(t, a, "lscarol", PASSWORD);
    await registerAccount(t, a, "lsalice", PASSWORD);
    const { client: carol } = await saslClient(t, b, "lscarol", "lscarol", PASSWORD);
    const { client: alice } = await saslClient(t, a, "lsalice", "lsalice", PASSWORD, SENDER_CAPS);
    const live = await say(alice, "lscarol", "shown on the other node");
    await carol.waitFor(/ PRIVMSG lscarol :shown on the other node$/, 10_000);
    // Not an assertion: without the mark it never comes, and what carol is shown below says what went wrong.
    await waitFor(async () => ((await lastSeen(cluster.db.url, b, "lscarol")) ?? 0) >= Date.parse(live.time), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "lscarol marked seen after the message she was shown",
    }).catch(() => t.diagnostic("lscarol was not marked seen after the message she was shown"));

    await b.kill("SIGKILL");
    await carol.closed;
    const again = await startNode(t, { name: b.name, redisUrl: cluster.redis.url, databaseUrl: cluster.db.url, http: false });
    await say(alice, "lscarol", "sent while away");

    const { client: carolAgain, welcomedAs } = await saslClient(t, again, "lscarol", "lscarol", PASSWORD);
    assert.equal(welcomedAs, "lscarol");
    const notice = await carolAgain.waitFor(/ NOTICE lscarol :.* arrived while you were away\.$/, 10_000);
    await carolAgain.waitFor(/ PRIVMSG lscarol :sent while away$/, 10_000);
    // The replay is oldest first, in one go: the live message would have come before.
    const replayedLive = carolAgain.lines.filter((line) => / PRIVMSG lscarol :shown on the other node$/.test(line));
    assert.deepEqual(replayedLive, [], "the message lscarol was shown live was replayed as missed");
    assert.match(notice, / NOTICE lscarol :1 direct message arrived while you were away\.$/);
  });
});
