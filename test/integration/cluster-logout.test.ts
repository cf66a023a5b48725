/**
 * NickServ LOGOUT and DROP in a cluster: a user whose account has a connection on another
 * node (multiclient across nodes) is one user, so LOGOUT is refused on either node as it is
 * on one node with two connections (docs/accounts.md): logging one connection out would turn
 * the shared user into a guest while the other connection still believes it is logged in.
 * DROP is refused likewise from the node that holds the second connection.
 * The nodes are real `cmymessage serve` processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, Teardown, type ClusterNode } from "../support/cluster.js";
import { rawClient, registerAccount, saslClient } from "../support/cluster-irc.js";
import { exchange, textOf, type Line } from "../support/irc-lines.js";
import { rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";

const REFUSAL = "Your account is in use on other connections; QUIT this one instead.";
/** On a node attached to a user held by another node, which this node cannot count connections of. */
const REFUSAL_AWAY = "Your account's user is held by another node of this network (connected or always-on there); QUIT this one instead.";

/** The NickServ notices and numerics `client` got in answer to LOGOUT. */
async function logout(client: RawClient): Promise<Line[]> {
  const lines = await exchange(client, "PRIVMSG NickServ :LOGOUT");
  return lines.filter((line) => line.command === "901" || (line.command === "NOTICE" && line.source.startsWith("NickServ!")));
}

/** Waits until `client`'s node knows the user `nick` has connections on another node (WHOIS 320 says so). */
async function knowsOtherNode(client: RawClient, nick: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const special = (await exchange(client, `WHOIS ${nick}`)).find((line) => line.command === "320");
    if (special && textOf(special).endsWith("on other nodes")) return;
    if (tries === 50) assert.fail(`node never learned of ${nick}'s other connection: ${special?.raw ?? "no 320"}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The account WHOIS on `client`'s node names for `nick` (330), or null when it names none. */
async function whoisAccount(client: RawClient, nick: string): Promise<string | null> {
  const lines = await exchange(client, `WHOIS ${nick}`);
  return lines.find((line) => line.command === "330")?.params[2] ?? null;
}

clusterSuite("cluster: NickServ LOGOUT and DROP with connections on two nodes", () => {
  const teardown = new Teardown();
  let a: ClusterNode, b: ClusterNode;
  before(async () => {
    const cluster = await startCluster(teardown, ["logout-a", "logout-b"], { http: false });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(() => teardown.run());

  for (const where of ["the user's own node", "the node holding its second connection"] as const) {
    test(`LOGOUT on ${where} is refused while the account's user has a connection on the other node; both stay logged in`, async (t) => {
      const account = where === "the user's own node" ? "louhome" : "louaway";
      const password = `${account}-cluster-password`;
      await registerAccount(t, a, account, password);
      // The first login makes node a the user's node; the second joins it from node b.
      const first = await saslClient(t, a, account, account, password);
      assert.match(first.result.raw, / 903 /, `SASL on ${a.name}`);
      const second = await saslClient(t, b, `${account}2`, account, password);
      assert.match(second.result.raw, / 903 /, `SASL on ${b.name}`);
      assert.equal(second.welcomedAs, account, "the connection on node b is one more connection of the same user");
      const [asking, other] = where === "the user's own node" ? [first.client, second.client] : [second.client, first.client];
      // Node b's attach reaches node a through Redis a moment after b's welcome.
      await knowsOtherNode(first.client, account);

      const answer = await logout(asking);
      assert.deepEqual(
        answer.map((line) => `${line.command} ${textOf(line)}`),
        [`NOTICE ${where === "the user's own node" ? REFUSAL : REFUSAL_AWAY}`],
        `LOGOUT is refused with the reason, and no 901: ${answer.map((line) => line.raw).join(" | ")}`,
      );
      await rawSync(other);
      assert.deepEqual(
        other.lines.filter((line) => / (901|ACCOUNT) /.test(line)),
        [],
        "the other connection is not logged out",
      );
      const observer = await rawClient(t, b, `${account}obs`, { readyChannel: null });
      assert.equal(await whoisAccount(observer, account), account, "WHOIS still shows the user logged in to the account");

      if (where === "the node holding its second connection") return;
      // Once the other connection is gone, LOGOUT goes through.
      other.send("QUIT :done here");
      await other.closed;
      // This node hears of the QUIT over Redis: LOGOUT works once it has.
      let last: Line[] = [];
      for (let attempt = 0; attempt < 50; attempt++) {
        last = await logout(asking);
        if (last.some((line) => line.command === "901")) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(last.some((line) => line.command === "901"), `LOGOUT succeeds once the user has one connection: ${last.map((line) => line.raw).join(" | ")}`);
    });
  }

  test("DROP on the node holding the second connection is refused while the user's own node holds a connection; the account stays", async (t) => {
    const account = "dropaway";
    const password = `${account}-cluster-password`;
    await registerAccount(t, a, account, password);
    const first = await saslClient(t, a, account, account, password);
    const second = await saslClient(t, b, `${account}2`, account, password);
    assert.equal(second.welcomedAs, account, "the connection on node b is one more connection of the same user");

    const answer = (await exchange(second.client, `PRIVMSG NickServ :DROP ${password}`)).filter(
      (line) => line.command === "901" || (line.command === "NOTICE" && line.source.startsWith("NickServ!")),
    );
    assert.deepEqual(
      answer.map((line) => `${line.command} ${textOf(line)}`),
      ["NOTICE Your account's user is held by another node of this network (connected or always-on there); QUIT them first, then DROP."],
      `DROP is refused with the reason: ${answer.map((line) => line.raw).join(" | ")}`,
    );
    await rawSync(first.client);
    assert.deepEqual(first.client.lines.filter((line) => / 901 /.test(line)), [], "the connection on the user's own node is not logged out");
    const observer = await rawClient(t, a, `${account}obs`, { readyChannel: null });
    assert.equal(await whoisAccount(observer, account), account, "WHOIS still shows the user logged in to the account");
    observer.send(`PRIVMSG NickServ :INFO ${account}`);
    await observer.waitFor(new RegExp(`NOTICE ${account}obs :${account} was registered on `), 5000);
  });
  test("WHOIS of oneself counts this node's connections and says there are others on other nodes (a node cannot count those)", async (t) => {
    const account = "whoiscount";
    const password = `${account}-cluster-password`;
    await registerAccount(t, a, account, password);
    const first = await saslClient(t, a, account, account, password);
    const second = await saslClient(t, b, `${account}2`, account, password);
    assert.equal(second.welcomedAs, account, "the connection on node b is one more connection of the same user");
    await knowsOtherNode(first.client, account);
    for (const client of [first.client, second.client]) {
      const special = (await exchange(client, `WHOIS ${account}`)).find((line) => line.command === "320");
      assert.equal(special && textOf(special), "is connected 1 time(s) on this node, and on other nodes");
    }
  });
});
