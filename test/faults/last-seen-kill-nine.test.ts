/**
 * A direct message an account was shown live is not "arrived while you were away" after
 * the server was killed with `kill -9` (no connection close to record when the account
 * was last seen), on SQLite and on PostgreSQL. A real `cmymessage serve` process: carol
 * (SASL, no draft/chathistory) is shown alice's message live; once the server has marked
 * carol seen after it (within about a second, docs/accounts.md), it gets SIGKILL and is
 * started again on the same data; alice sends another message while carol really is
 * offline; at carol's login only that one is counted and replayed.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/database.js";
import { freshPostgresDatabase, startNode, teardownOf, type NodeOptions } from "../support/cluster.js";
import { registerAccount, saslClient } from "../support/cluster-irc.js";
import { POSTGRES_SKIPPED, postgresBaseUrl } from "../support/databases.js";
import { say } from "../support/irc-lines.js";
import { waitFor } from "../support/wait.js";

const PASSWORD = "last-seen-Password-42";
/** alice reads the time the server gave her message from its echo. */
const SENDER_CAPS = ["echo-message", "server-time", "message-tags"];

/** When the store says `account` was last seen (what `cmymessage user list` shows), or null. */
async function lastSeen(options: NodeOptions, account: string): Promise<number | null> {
  const store = await openStore({ url: options.databaseUrl, dataDir: options.dataDir!, migrate: false });
  try {
    const row = await store.db.selectFrom("accounts").select("last_seen_at").where("name_folded", "=", account).executeTakeFirst();
    return row?.last_seen_at == null ? null : Number(row.last_seen_at);
  } finally {
    await store.close();
  }
}

async function crashAfterLiveMessage(t: TestContext, databaseUrl: string, label: string): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), `cmy-seen-${label}-`));
  teardownOf(t).add("removing the data directory", () => rm(dataDir, { recursive: true, force: true }));
  const options: NodeOptions = { name: `seen-${label}`, redisUrl: "", databaseUrl, dataDir, http: false };
  const node = await startNode(t, options);
  await registerAccount(t, node, "carol", PASSWORD);
  await registerAccount(t, node, "alice", PASSWORD);

  const { client: carol } = await saslClient(t, node, "carol", "carol", PASSWORD);
  const { client: alice } = await saslClient(t, node, "alice", "alice", PASSWORD, SENDER_CAPS);
  const live = await say(alice, "carol", "shown live");
  await carol.waitFor(/ PRIVMSG carol :shown live$/);
  // Not an assertion: without the fix it never comes, and what carol is shown below says what went wrong.
  await waitFor(async () => ((await lastSeen(options, "carol")) ?? 0) >= Date.parse(live.time), {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: "carol marked seen after the message she was shown",
  }).catch(() => t.diagnostic("carol was not marked seen after the message she was shown"));

  await node.kill("SIGKILL");
  await Promise.all([carol.closed, alice.closed]);
  const again = await startNode(t, options);
  const { client: aliceAgain } = await saslClient(t, again, "alice", "alice", PASSWORD, SENDER_CAPS);
  await say(aliceAgain, "carol", "sent while away");

  const { client: carolAgain } = await saslClient(t, again, "carol", "carol", PASSWORD);
  const notice = await carolAgain.waitFor(/ NOTICE carol :.* arrived while you were away\.$/, 10_000);
  await carolAgain.waitFor(/ PRIVMSG carol :sent while away$/, 10_000);
  // The replay is oldest first, in one go: the live message would have come before.
  const replayedLive = carolAgain.lines.filter((line) => / PRIVMSG carol :shown live$/.test(line));
  assert.deepEqual(replayedLive, [], "the message carol was shown live was replayed as missed");
  assert.match(notice, / NOTICE carol :1 direct message arrived while you were away\.$/);
}

test("kill -9: a direct message shown live is not replayed as missed; one sent while offline is [SQLite]", async (t) => {
  await crashAfterLiveMessage(t, "", "sqlite");
});

test("kill -9: a direct message shown live is not replayed as missed; one sent while offline is [PostgreSQL]", { skip: postgresBaseUrl() === undefined ? POSTGRES_SKIPPED : false }, async (t) => {
  const db = await freshPostgresDatabase(t);
  await crashAfterLiveMessage(t, db.url, "postgres");
});
