/**
 * ChanServ registrations across two nodes sharing one PostgreSQL database: a channel
 * registered on one node is registered on the other too (INFO shows it, a REGISTER by
 * another account is refused and leaves the founder in the database), its modes, bans,
 * topic and founder apply to joins there once the node has refreshed its registrations,
 * and a DROP on one node is seen on the other. The nodes are real `cmymessage serve`
 * processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { clusterSuite, startCluster, Teardown, type Cluster, type ClusterNode } from "../support/cluster.js";
import { names, registerAccount, saslClient, topic } from "../support/cluster-irc.js";
import { exchange, textOf } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";

/** `chat.registrationRefreshSeconds` of the nodes: short, so the tests wait little for a node to refresh. */
const REFRESH_SECONDS = 1;
/** Long enough for every node to have refreshed once after a change (and the refresh's read to have answered). */
const AFTER_A_REFRESH_MS = REFRESH_SECONDS * 1000 * 2 + 500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function chanserv(client: RawClient, text: string): Promise<string[]> {
  const lines = await exchange(client, `PRIVMSG ChanServ :${text}`);
  return lines.filter((line) => line.command === "NOTICE" && line.source.startsWith("ChanServ!")).map(textOf);
}

async function join(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `, "i"));
}

async function part(client: RawClient, channel: string): Promise<void> {
  client.send(`PART ${channel}`);
  await client.waitFor(new RegExp(` PART ${channel}`, "i"));
}

async function changeModes(client: RawClient, channel: string, change: string): Promise<void> {
  const lines = await exchange(client, `MODE ${channel} ${change}`);
  assert.ok(
    lines.some((line) => line.command === "MODE"),
    lines.map((line) => line.raw).join("\n"),
  );
}

/** The flag modes of `channel` as `client`'s node answers MODE (324), e.g. "+nst". */
async function flags(client: RawClient, channel: string): Promise<string> {
  const lines = await exchange(client, `MODE ${channel}`);
  return lines.find((line) => line.command === "324")?.params[2] ?? "";
}

/** The ban masks of `channel` as `client`'s node lists them (367). */
async function bans(client: RawClient, channel: string): Promise<string[]> {
  const lines = await exchange(client, `MODE ${channel} b`);
  return lines.filter((line) => line.command === "367").map((line) => line.params[2] ?? "");
}

/** The founder of `folded` as the database has it: what every node loads at its next start. */
async function storedFounder(cluster: Cluster, folded: string): Promise<string | null | undefined> {
  const client = new pg.Client({ connectionString: cluster.db.url });
  await client.connect();
  try {
    const result = await client.query<{ founder: string | null }>(
      "SELECT accounts.name_folded AS founder FROM channels LEFT JOIN accounts ON accounts.id = channels.founder_account_id WHERE channels.name_folded = $1",
      [folded],
    );
    return result.rows[0]?.founder;
  } finally {
    await client.end();
  }
}

clusterSuite("cluster: ChanServ registrations are the cluster's", () => {
  const teardown = new Teardown();
  let cluster: Cluster;
  let n1: ClusterNode, n2: ClusterNode;
  before(async () => {
    cluster = await startCluster(teardown, ["node-1", "node-2"], { http: false, config: { chat: { registrationRefreshSeconds: REFRESH_SECONDS } } });
    [n1, n2] = cluster.nodes as [ClusterNode, ClusterNode];
    for (const name of ["alice", "bob"]) await registerAccount(teardown, n1, name, `${name}-cluster-password`);
  });
  after(() => teardown.run());

  test("a channel registered on one node: the other node's INFO shows it, and another account's REGISTER there is refused and leaves the founder", async (t) => {
    const { client: alice } = await saslClient(t, n1, "alice", "alice", "alice-cluster-password");
    const { client: bob } = await saslClient(t, n2, "bob", "bob", "bob-cluster-password");
    await join(alice, "alice", "#regA");
    assert.deepEqual(await chanserv(alice, "REGISTER #regA"), ["#regA is registered to alice."]);

    assert.match((await chanserv(bob, "INFO #regA"))[0] ?? "", /^#regA was registered by alice on /, `${n2.name} knows the registration made on ${n1.name}`);

    await join(bob, "bob", "#regA");
    // Alice's node must have heard of the join before she can op bob.
    await alice.waitFor(/^:bob!\S+ JOIN #regA/i);
    await changeModes(alice, "#regA", "+o bob");
    await bob.waitFor(/ MODE #regA \+o bob$/i);
    assert.deepEqual(await chanserv(bob, "REGISTER #regA"), ["#regA is already registered to alice."], `a REGISTER on ${n2.name} took over the registration`);
    assert.equal(await storedFounder(cluster, "#rega"), "alice", "the database's founder was overwritten");
  });

  test("after a refresh, a non-founder re-creating the emptied channel on the other node gets no op and the registered modes, bans and topic; the founder gets op there", async (t) => {
    const alice = await saslClient(t, n1, "alice", "alice", "alice-cluster-password");
    await join(alice.client, "alice", "#regB");
    await changeModes(alice.client, "#regB", "+sb evil!*@*");
    alice.client.send("TOPIC #regB :alice's registered topic");
    await alice.client.waitFor(/ TOPIC #regB :/);
    assert.deepEqual(await chanserv(alice.client, "REGISTER #regB"), ["#regB is registered to alice."]);
    alice.client.send("QUIT :done here");
    await alice.client.closed;
    await sleep(AFTER_A_REFRESH_MS);

    const { client: bob } = await saslClient(t, n2, "bob", "bob", "bob-cluster-password");
    await join(bob, "bob", "#regB");
    assert.deepEqual(await names(bob, "#regB"), ["bob"], "the first joiner of a registered channel was made its operator");
    assert.match(await flags(bob, "#regB"), /^\+\w*s/, "the registered +s was not restored");
    assert.deepEqual(await bans(bob, "#regB"), ["evil!*@*"], "the registered ban was not restored");
    assert.equal(await topic(bob, "#regB"), "alice's registered topic");
    assert.deepEqual(await chanserv(bob, "REGISTER #regB"), ["You must be an operator of #regB to register it."]);

    const { client: founder } = await saslClient(t, n2, "alice", "alice", "alice-cluster-password");
    await join(founder, "alice", "#regB");
    assert.deepEqual(await names(bob, "#regB"), ["@alice", "bob"], `the founder joining on ${n2.name} did not get op`);
    assert.equal(await storedFounder(cluster, "#regb"), "alice");
  });

  test("a DROP on one node is seen on the other: INFO at once, and the next joiner of the emptied channel there is its operator again", async (t) => {
    const { client: alice } = await saslClient(t, n1, "alice", "alice", "alice-cluster-password");
    const { client: bob } = await saslClient(t, n2, "bob", "bob", "bob-cluster-password");
    await join(alice, "alice", "#regC");
    await changeModes(alice, "#regC", "+b evil!*@*");
    assert.deepEqual(await chanserv(alice, "REGISTER #regC"), ["#regC is registered to alice."]);
    await sleep(AFTER_A_REFRESH_MS);
    assert.match((await chanserv(bob, "INFO #regC"))[0] ?? "", /^#regC was registered by alice on /);

    assert.deepEqual(await chanserv(alice, "DROP #regC"), ["#regC is no longer registered."]);
    assert.deepEqual(await chanserv(bob, "INFO #regC"), ["#regC is not registered."], `${n2.name} still answers with the dropped registration`);
    await part(alice, "#regC");
    await sleep(AFTER_A_REFRESH_MS);

    await join(bob, "bob", "#regC");
    assert.deepEqual(await names(bob, "#regC"), ["@bob"], "the first joiner of a channel no longer registered is its operator");
    assert.deepEqual(await bans(bob, "#regC"), [], "the dropped registration's ban came back");
    assert.equal(await storedFounder(cluster, "#regc"), undefined);
  });
});
