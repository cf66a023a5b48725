/**
 * `kill -9` in the middle of traffic loses no acknowledged message, on SQLite and on
 * PostgreSQL. A real `cmymessage serve` process; four account holders on raw IRC
 * connections (echo-message) send to #general and to each other as fast as a bounded
 * pace allows, with messages always in flight; at a random moment (seeded: the seed
 * is printed, CMY_TEST_SEED=<seed> replays it) the server gets SIGKILL. It is started
 * again on the same data directory (SQLite on this machine's disk, not a tmpfs) or
 * database, and CHATHISTORY must hold every message whose echo its sender saw: once,
 * with the msgid the echo carried, in its sender's order. Three kills per database.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshPostgresDatabase, startNode, teardownOf, type ClusterNode } from "../support/cluster.js";
import { rawClient, saslClient } from "../support/cluster-irc.js";
import { POSTGRES_SKIPPED, postgresBaseUrl } from "../support/databases.js";
import { HISTORY_CAPS } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { assertHistoryHolds, readHistory, seededRandom, Sender, testSeed, type Acked } from "./traffic.js";

const USERS = ["ann", "ben", "cat", "dan"] as const;
const PASSWORD = "kill-nine-Password-42";
const CHANNEL = "#general";
const ROUNDS = 3;
/** Each sender's pace: four of them make about 800 messages a second, more than one history batch per turn. */
const INTERVAL_MS = 5;
/** Bounds each sender's messages in a round, whatever the kill point. */
const MAX_MESSAGES_PER_ROUND = 400;
/** The kill comes this long after the traffic started, at a seeded random point between the two. */
const KILL_AFTER_MS = [150, 1200] as const;
/** statfs(2)'s f_type of a tmpfs: the data must be on a real disk here. */
const TMPFS_MAGIC = 0x01021994;

/** A temporary directory on a disk: the system's, unless it is a tmpfs (as /tmp is on some systems), then /var/tmp. */
async function onDisk(): Promise<string> {
  for (const candidate of [tmpdir(), "/var/tmp"]) {
    const stats = await statfs(candidate).catch(() => null);
    if (stats && Number(stats.type) !== TMPFS_MAGIC) return candidate;
  }
  throw new Error(`neither ${tmpdir()} nor /var/tmp is on a disk (both are tmpfs): set TMPDIR to a directory on one`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The four users' connections, logged in (REGISTER the first time, SASL PLAIN after), with the history caps, #general joined. */
async function connectAll(t: TestContext, node: ClusterNode, firstStart: boolean): Promise<RawClient[]> {
  return Promise.all(
    USERS.map(async (nick) => {
      if (firstStart) {
        const client = await rawClient(t, node, nick, { caps: HISTORY_CAPS });
        client.send(`REGISTER * * :${PASSWORD}`);
        const reply = await client.waitFor(/ (REGISTER SUCCESS|FAIL REGISTER) /, 10_000);
        assert.match(reply, / REGISTER SUCCESS /, `${nick} could not register`);
        await client.waitFor(/ 900 /);
        return client;
      }
      const { client, result } = await saslClient(t, node, nick, nick, PASSWORD, HISTORY_CAPS);
      assert.equal(result.command, "903", `${nick} could not log in: ${result.raw}`);
      await client.waitFor(new RegExp(` 366 ${nick} ${CHANNEL} `), 10_000);
      return client;
    }),
  );
}

/** Every acknowledged message so far is in the restarted server's history: #general, and each user's conversation with the next. */
async function verify(clients: readonly RawClient[], acked: readonly Acked[], when: string): Promise<void> {
  assertHistoryHolds(`${CHANNEL} ${when}`, await readHistory(clients[0]!, CHANNEL), acked.filter((message) => message.target === CHANNEL));
  for (const [index, me] of USERS.entries()) {
    const other = USERS[(index + 1) % USERS.length]!;
    const between = acked.filter((m) => (m.sender === me && m.target === other) || (m.sender === other && m.target === me));
    assertHistoryHolds(`${me}↔${other} ${when}`, await readHistory(clients[index]!, other), between);
  }
}

async function killRounds(t: TestContext, databaseUrl: string, label: string): Promise<void> {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (CMY_TEST_SEED=${seed} replays these kill points)`);
  const random = seededRandom(seed);
  const dataDir = await mkdtemp(join(await onDisk(), `cmy-kill9-${label}-`));
  teardownOf(t).add("removing the data directory", () => rm(dataDir, { recursive: true, force: true }));

  const acked: Acked[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const node = await startNode(t, { name: `kill9-${label}-${round}`, redisUrl: "", databaseUrl, dataDir, http: false });
    const clients = await connectAll(t, node, round === 0);
    if (round > 0) await verify(clients, acked, `after kill ${round}`);
    if (round === ROUNDS) break;

    const senders = clients.map(
      (client, index) =>
        new Sender(client, {
          nick: USERS[index]!,
          prefix: `r${round}`,
          target: () => (random() < 0.5 ? CHANNEL : USERS[(index + 1) % USERS.length]!),
          intervalMs: INTERVAL_MS,
          maxMessages: MAX_MESSAGES_PER_ROUND,
        }),
    );
    const killAfter = Math.round(KILL_AFTER_MS[0] + random() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]));
    await sleep(killAfter);
    await node.kill("SIGKILL");
    await Promise.all(clients.map((client) => client.closed));
    await Promise.all(senders.map((sender) => sender.stop()));
    const sent = senders.reduce((sum, sender) => sum + sender.sent, 0);
    const ackedNow = senders.flatMap((sender) => sender.acked);
    const failed = senders.flatMap((sender) => sender.failed);
    t.diagnostic(`round ${round}: SIGKILL ${killAfter} ms into the traffic; ${sent} sent, ${ackedNow.length} acknowledged, ${sent - ackedNow.length} in flight`);
    assert.deepEqual(failed, [], "the server refused messages before the kill");
    assert.ok(ackedNow.length > 0, "no message was acknowledged before the kill: the round tested nothing");
    acked.push(...ackedNow);
  }
}

test("kill -9 mid-traffic loses no acknowledged message [SQLite]", async (t) => {
  await killRounds(t, "", "sqlite");
});

test("kill -9 mid-traffic loses no acknowledged message [PostgreSQL]", { skip: postgresBaseUrl() === undefined ? POSTGRES_SKIPPED : false }, async (t) => {
  const db = await freshPostgresDatabase(t);
  await killRounds(t, db.url, "postgres");
});
