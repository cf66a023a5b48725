/**
 * Registered-nick enforcement across two nodes: the forced rename to Guest##### is a
 * nick change like any other, so the other node sees it and the cluster's claim on the
 * registered nick is given back, and the account's owner can take it on either node.
 * The nodes are real `cmymessage serve` processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, Teardown, type ClusterNode } from "../support/cluster.js";
import { rawClient, registerAccount, saslClient } from "../support/cluster-irc.js";

clusterSuite("cluster: registered nick enforcement", () => {
  const teardown = new Teardown();
  let a: ClusterNode, b: ClusterNode;
  before(async () => {
    // A 1-second deadline, swept every 0.5 s (a quarter of the registration timeout).
    const cluster = await startCluster(teardown, ["node-a", "node-b"], { http: false, config: { auth: { nickEnforcementSeconds: 1 }, irc: { registrationTimeoutSeconds: 2 } } });
    [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  });
  after(() => teardown.run());

  test("a user renamed on one node for holding a registered nick is seen renamed on the other, and the owner then gets the nick there", async (t) => {
    const password = "cluster-enforcement-password";
    await registerAccount(t, a, "enfowner", password);

    const watcher = await rawClient(t, b, "enfwatch");
    const squatter = await rawClient(t, a, "enfsquat");
    squatter.send("NICK enfowner");
    await squatter.waitFor(/ NOTICE enfowner :The nick enfowner belongs to a registered account/, 5000);

    const renamed = await squatter.waitFor(/^:enfowner!\S+ NICK :?Guest\d{5}$/, 8000);
    const guestNick = /Guest\d{5}/.exec(renamed)![0];
    assert.match(await watcher.waitFor(/^:enfowner!\S+ NICK /, 8000), new RegExp(`NICK :?${guestNick}$`), `${b.name} sees the rename made on ${a.name}`);

    const owner = await saslClient(t, b, "enfowner", "enfowner", password);
    assert.match(owner.result.raw, / 903 /);
    assert.equal(owner.welcomedAs, "enfowner", `the cluster gave the nick back: ${b.name} welcomes its owner under it`);
  });

  test("multiclient across nodes: when the connection that took a registered nick quits, the user's connection on the other node is still renamed", async (t) => {
    const password = "cluster-multiclient-enforcement";
    for (const name of ["enfalice", "enfdave"]) await registerAccount(t, a, name, password);
    const first = await saslClient(t, a, "enfalice", "enfalice", password);
    const second = await saslClient(t, b, "enfalice", "enfalice", password);
    assert.equal(second.welcomedAs, "enfalice", `the connection on ${b.name} is one more of the same user`);

    first.client.send("NICK enfdave");
    await first.client.waitFor(/ NOTICE enfdave :The nick enfdave belongs to a registered account/, 5000);
    await second.client.waitFor(/^:enfalice!\S+ NICK :?enfdave$/, 5000);
    first.client.send("QUIT :bye");
    await first.client.closed;

    await second.client.waitFor(/^:enfdave!\S+ NICK :?Guest\d{5}$/, 8000);
  });
});
