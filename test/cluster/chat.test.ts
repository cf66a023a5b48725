/**
 * Three nodes on one Redis and one PostgreSQL, users spread across them: to every
 * user it is one server. Channel messages reach every member once and in each
 * sender's order; NAMES, WHOIS and DMs see everyone; a nick taken on two nodes at
 * the same moment goes to exactly one; racing TOPIC/MODE/KICK on different nodes,
 * and one channel created on two nodes at once, end in one state every node reports; one account's connections on two nodes are
 * one user. The nodes are real `cmymessage serve` processes (test/support/cluster.ts).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuite, startCluster, Teardown, type Cluster, type ClusterNode } from "../support/cluster.js";
import { bareNick, converged, frameworkClient, names, rawClient, rawConnect, registerAccount, saslClient, topic } from "../support/cluster-irc.js";
import { exchange, parseLine, textOf } from "../support/irc-lines.js";
import { rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import type { FrameworkClient } from "../support/framework-client.js";
import { waitFor } from "../support/wait.js";

/** Messages each sender sends in the fan-out test. */
const MESSAGES_PER_SENDER = 50;

clusterSuite("cluster: three nodes, one chat", () => {
  const teardown = new Teardown();
  let cluster: Cluster;
  let a: ClusterNode, b: ClusterNode, c: ClusterNode;
  before(async () => {
    cluster = await startCluster(teardown, ["node-a", "node-b", "node-c"], { http: false });
    [a, b, c] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  after(() => teardown.run());

  /** PRIVMSG texts `client` received on `target` from `sender`, in order. */
  const rawTexts = (client: RawClient, target: string, sender: string): string[] =>
    client.lines
      .map(parseLine)
      .filter((line) => line.command === "PRIVMSG" && line.params[0]?.toLowerCase() === target.toLowerCase() && bareNick(line.source.split("!")[0]!) === sender)
      .map(textOf);
  const frameworkTexts = (client: FrameworkClient, target: string, sender: string): string[] =>
    client
      .events("privmsg")
      .filter((event) => event.target.toLowerCase() === target.toLowerCase() && event.nick === sender)
      .map((event) => event.message);

  test("a channel with members on every node: each member gets every message once, in each sender's order; NAMES on every node lists everyone; WHOIS and DMs cross nodes", async (t) => {
    const channel = "#fanout";
    const nodes = [a, b, c];
    // Senders through irc-framework (a real client library), receivers as raw sockets (exact lines).
    const senders = await Promise.all(nodes.map((node, i) => frameworkClient(t, node, `fsend${i}`)));
    const receivers = await Promise.all(nodes.map((node, i) => rawClient(t, node, `frecv${i}`)));
    for (const sender of senders) {
      sender.client.join(channel);
      await sender.waitFor("join", (e) => e.nick === sender.nick && e.channel === channel);
    }
    for (const receiver of receivers) {
      receiver.send(`JOIN ${channel}`);
      await receiver.waitFor(new RegExp(` 366 \\S+ ${channel} `));
    }
    const everyone = [...senders.map((s) => s.nick), ...receivers.map((_, i) => `frecv${i}`)].sort();
    const perNode = receivers.map((client, i) => ({ node: nodes[i]!.name, client }));
    const listed = await converged(perNode, async (client) => (await names(client, channel)).map(bareNick).sort(), {
      what: `NAMES ${channel} listing all six members on every node`,
      accept: (list) => list.length === everyone.length,
    });
    assert.deepEqual(listed, everyone);
    for (const receiver of receivers) receiver.lines.length = 0;

    for (let i = 0; i < MESSAGES_PER_SENDER; i++) for (const sender of senders) sender.client.say(channel, `${sender.nick} ${i}`);
    // The last message of each sender marks "everything before it has arrived" (each sender's order holds).
    for (const sender of senders) sender.client.say(channel, `${sender.nick} end`);
    const expected = (nick: string): string[] => [...Array.from({ length: MESSAGES_PER_SENDER }, (_, i) => `${nick} ${i}`), `${nick} end`];

    await waitFor(
      () =>
        senders.every((sender) => receivers.every((r) => rawTexts(r, channel, sender.nick).includes(`${sender.nick} end`))) &&
        senders.every((sender) => senders.every((other) => other === sender || frameworkTexts(other, channel, sender.nick).includes(`${sender.nick} end`))),
      { timeoutMs: 20_000, intervalMs: 50, what: "every member to receive every sender's last message" },
    );
    await Promise.all([...receivers.map((r) => rawSync(r)), ...senders.map((s) => s.sync())]);
    for (const sender of senders) {
      receivers.forEach((receiver, i) => assert.deepEqual(rawTexts(receiver, channel, sender.nick), expected(sender.nick), `frecv${i} (on ${nodes[i]!.name}) got ${sender.nick}'s messages once each, in order`));
      for (const other of senders) {
        if (other === sender) continue;
        assert.deepEqual(frameworkTexts(other, channel, sender.nick), expected(sender.nick), `${other.nick} got ${sender.nick}'s messages once each, in order`);
      }
    }

    // WHOIS of a user on another node.
    senders[0]!.client.whois("frecv2");
    const whois = await senders[0]!.waitFor("whois", (e) => e.nick.toLowerCase() === "frecv2", 5000);
    assert.equal(whois.ident?.replace(/^~/, ""), "frecv2", `WHOIS from ${a.name} finds frecv2 on ${c.name}: ${JSON.stringify(whois)}`);
    assert.match(whois.channels ?? "", /#fanout/);

    // A DM each way between nodes a and c.
    for (const receiver of receivers) receiver.lines.length = 0;
    senders[0]!.client.say("frecv2", "a direct word");
    await receivers[2]!.waitFor(/^:fsend0!\S+ PRIVMSG frecv2 :a direct word$/, 5000);
    receivers[2]!.send("PRIVMSG fsend0 :and one back");
    await senders[0]!.waitFor("privmsg", (e) => e.nick === "frecv2" && e.target === "fsend0" && e.message === "and one back", 5000);
    await Promise.all(receivers.map((r) => rawSync(r)));
    // The one awaited above was consumed: any copy left is a duplicate or went astray.
    assert.deepEqual(
      receivers.flatMap((r) => rawTexts(r, "frecv2", "fsend0")),
      [],
      "the DM arrived once, at frecv2 only",
    );
  });

  test("the same nick registered on two nodes at the same moment: exactly one gets 001, the other 433, and both nodes agree who has it", async (t) => {
    const rounds = 20;
    const pairs = await Promise.all(
      Array.from({ length: rounds }, async (_, round) => ({ round, onA: await rawConnect(t, a), onB: await rawConnect(t, b) })),
    );
    // Both registrations of a round leave in the same tick.
    for (const { round, onA, onB } of pairs) {
      for (const [client, user] of [
        [onA, `ua${round}`],
        [onB, `ub${round}`],
      ] as const) {
        client.send(`NICK race${round}`);
        client.send(`USER ${user} 0 * :racer`);
      }
    }
    const outcome = (client: RawClient): Promise<string> => client.waitFor(/ (001|433) | FAIL NICK /, 10_000).then((line) => parseLine(line).command);
    const results = await Promise.all(pairs.map(async ({ round, onA, onB }) => ({ round, a: await outcome(onA), b: await outcome(onB) })));
    for (const { round, a: onA, b: onB } of results) {
      assert.deepEqual([onA, onB].sort(), ["001", "433"], `race${round}: one 001 and one 433, got ${a.name}=${onA} ${b.name}=${onB}`);
    }

    const observers = [await rawClient(t, a, "raceobsa"), await rawClient(t, b, "raceobsb")];
    for (const { round, a: onA } of results) {
      const winner = onA === "001" ? `ua${round}` : `ub${round}`;
      for (const observer of observers) {
        const reply = (await exchange(observer, `WHOIS race${round}`)).find((line) => line.command === "311");
        assert.ok(reply, `WHOIS race${round} answered`);
        assert.equal(reply.params[2]?.replace(/^~/, ""), winner, `race${round} belongs to the winner on every node`);
      }
    }
  });

  test("TOPIC, MODE and KICK racing on different nodes: afterwards every node reports the same topic and the same NAMES", async (t) => {
    const rounds = 5;
    const op1 = await rawClient(t, a, "rop1");
    const op2 = await rawClient(t, b, "rop2");
    const third = await rawClient(t, c, "rthird");
    const observers = [
      { node: a.name, client: await rawClient(t, a, "robsa") },
      { node: b.name, client: await rawClient(t, b, "robsb") },
      { node: c.name, client: await rawClient(t, c, "robsc") },
    ];
    for (let round = 0; round < rounds; round++) {
      const channel = `#race${round}`;
      op1.send(`JOIN ${channel}`);
      await op1.waitFor(new RegExp(` 366 rop1 ${channel} `));
      // The channel exists everywhere before anyone else joins: creating one channel on two
      // nodes at once is the next test's race, not this one's.
      for (const { node, client } of observers) {
        await waitFor(async () => (await names(client, channel)).includes("@rop1"), { timeoutMs: 5000, intervalMs: 50, what: `${channel} made by rop1 seen on ${node}` });
      }
      for (const [client, nick] of [
        [op2, "rop2"],
        [third, "rthird"],
        ...observers.map(({ client }, i) => [client, `robs${"abc"[i]}`] as const),
      ] as const) {
        client.send(`JOIN ${channel}`);
        await client.waitFor(new RegExp(` 366 ${nick} ${channel} `), 5000);
      }
      const joined = await converged(observers, (client) => names(client, channel), {
        what: `${channel}: all six members seen alike on every node`,
        accept: (list) => list.length === 6,
      });
      assert.deepEqual(joined, ["@rop1", "robsa", "robsb", "robsc", "rop2", "rthird"], "the creator (on node-a) is the only operator");
      op1.send(`MODE ${channel} +o rop2`);
      await converged(observers, (client) => names(client, channel), {
        what: `${channel}: rop2 made operator, seen on every node`,
        accept: (list) => list.includes("@rop1") && list.includes("@rop2"),
      });

      // Two ops on two nodes set different topics at once.
      op1.send(`TOPIC ${channel} :topic from a ${round}`);
      op2.send(`TOPIC ${channel} :topic from b ${round}`);
      const agreed = await converged(observers, (client) => topic(client, channel), {
        what: `${channel}: one topic on every node`,
        accept: (value) => value !== null,
      });
      assert.ok([`topic from a ${round}`, `topic from b ${round}`].includes(agreed!), `the topic is one of the two set: ${agreed}`);

      // Deop, op and kick racing: each op acts on the other, and both on the third user.
      op1.send(`MODE ${channel} -o rop2`);
      op2.send(`KICK ${channel} rop1 :race ${round}`);
      op1.send(`MODE ${channel} +o rthird`);
      op2.send(`MODE ${channel} -o+v rthird rthird`);
      await converged(observers, (client) => names(client, channel), {
        what: `${channel}: the same NAMES on every node after the races`,
        timeoutMs: 5000,
      });
    }
  });

  test("bans and modes set at once on two nodes: every node keeps all of them (a newer change elsewhere does not drop one)", async (t) => {
    const rounds = 4;
    const op1 = await rawClient(t, a, "bop1");
    const op2 = await rawClient(t, b, "bop2");
    const observers = [
      { node: a.name, client: await rawClient(t, a, "bobsa") },
      { node: b.name, client: await rawClient(t, b, "bobsb") },
      { node: c.name, client: await rawClient(t, c, "bobsc") },
    ];
    const bans = async (client: RawClient, channel: string): Promise<string[]> =>
      (await exchange(client, `MODE ${channel} +b`)).filter((line) => line.command === "367").map((line) => line.params[2]!).sort();
    // The letters, in order: each node lists them in the order it learned them.
    const modes = async (client: RawClient, channel: string): Promise<string> => [...((await exchange(client, `MODE ${channel}`)).find((line) => line.command === "324")?.params[2] ?? "")].sort().join("");
    for (let round = 0; round < rounds; round++) {
      const channel = `#bans${round}`;
      op1.send(`JOIN ${channel}`);
      await op1.waitFor(new RegExp(` 366 bop1 ${channel} `));
      for (const { node, client } of observers) {
        await waitFor(async () => (await names(client, channel)).includes("@bop1"), { timeoutMs: 5000, intervalMs: 50, what: `${channel} seen on ${node}` });
      }
      op2.send(`JOIN ${channel}`);
      await op2.waitFor(new RegExp(` 366 bop2 ${channel} `));
      await op1.waitFor(new RegExp(`^:bop2!\\S+ JOIN :?${channel}`), 5000);
      op1.send(`MODE ${channel} +o bop2`);
      for (const { client } of observers) {
        client.send(`JOIN ${channel}`);
        await client.waitFor(new RegExp(` JOIN :?${channel}`), 5000);
      }
      await converged(observers, (client) => names(client, channel), { what: `${channel}: bop2 is an operator everywhere`, accept: (list) => list.includes("@bop2") });
      // Before: the newer of the two whole states won on every node, and the other ban (or +m) was gone.
      op1.send(`MODE ${channel} +b spam${round}!*@*`);
      op2.send(`MODE ${channel} +b bad${round}!*@*`);
      op1.send(`MODE ${channel} +m`);
      op2.send(`MODE ${channel} +s`);
      const kept = await converged(observers, (client) => bans(client, channel), { what: `${channel}: both bans on every node`, timeoutMs: 5000, accept: (list) => list.length === 2 });
      assert.deepEqual(kept, [`bad${round}!*@*`, `spam${round}!*@*`]);
      const flags = await converged(observers, (client) => modes(client, channel), { what: `${channel}: +m and +s on every node`, timeoutMs: 5000, accept: (value) => value.includes("m") && value.includes("s") });
      assert.ok(flags.includes("m") && flags.includes("s"), flags);
    }
  });

  test("one channel created on two nodes at the same moment: afterwards every node reports the same NAMES", async (t) => {
    const rounds = 5;
    const creatorA = await rawClient(t, a, "makera");
    const creatorB = await rawClient(t, b, "makerb");
    const observers = [
      { node: a.name, client: await rawClient(t, a, "mobsa") },
      { node: b.name, client: await rawClient(t, b, "mobsb") },
      { node: c.name, client: await rawClient(t, c, "mobsc") },
    ];
    for (let round = 0; round < rounds; round++) {
      const channel = `#twice${round}`;
      creatorA.send(`JOIN ${channel}`);
      creatorB.send(`JOIN ${channel}`);
      await creatorA.waitFor(new RegExp(` 366 makera ${channel} `), 5000);
      await creatorB.waitFor(new RegExp(` 366 makerb ${channel} `), 5000);
      for (const [i, { client }] of observers.entries()) {
        client.send(`JOIN ${channel}`);
        await client.waitFor(new RegExp(` 366 mobs${"abc"[i]} ${channel} `), 5000);
      }
      const agreed = await converged(observers, (client) => names(client, channel), {
        what: `${channel}: the same members and ranks on every node`,
        accept: (list) => list.length === 5,
      });
      assert.deepEqual(agreed.map(bareNick).sort(), ["makera", "makerb", "mobsa", "mobsb", "mobsc"]);
    }
  });

  test("one account's connections on two nodes are one user: the same nick, and both see the channel's messages", async (t) => {
    const password = "cluster-multiclient-password";
    await registerAccount(t, a, "mcuser", password);

    const first = await saslClient(t, a, "mcuser", "mcuser", password);
    assert.match(first.result.raw, / 903 /, `SASL on ${a.name}`);
    assert.equal(first.welcomedAs, "mcuser");
    const bob = await rawClient(t, c, "mcbob");
    await waitFor(async () => (await names(bob, "#general")).map(bareNick).includes("mcuser"), { timeoutMs: 5000, intervalMs: 100, what: `mcuser in NAMES on ${c.name}` });

    // The second connection asks for another nick; it is the same user, so it gets the user's.
    const second = await saslClient(t, b, "mcother", "mcuser", password);
    assert.match(second.result.raw, / 903 /, `SASL on ${b.name}`);
    assert.equal(second.welcomedAs, "mcuser", `the connection on ${b.name} is welcomed under the account's user's nick`);
    await second.client.waitFor(/^:mcuser!\S+ JOIN #general/, 5000);
    // Node c routes bob's messages by what it has heard so far (docs/operations.md, "Like linked
    // IRC servers"): a message sent the instant before c reads b's news of the new session goes to
    // node a only. So wait until c has heard it, by a later change made on b (one connection carries
    // b's changes in order); the marker leaves #general, so only the session routes messages to b.
    const marker = await rawClient(t, b, "mcmark");
    marker.send("PART #general");
    await bob.waitFor(/^:mcmark!\S+ PART #general/, 5000);

    bob.send("PRIVMSG #general :hello both of you");
    await first.client.waitFor(/^:mcbob!\S+ PRIVMSG #general :hello both of you$/, 5000);
    await second.client.waitFor(/^:mcbob!\S+ PRIVMSG #general :hello both of you$/, 5000);

    first.client.send("PRIVMSG #general :said on node a");
    await second.client.waitFor(/^:mcuser!\S+ PRIVMSG #general :said on node a$/, 5000);
    await bob.waitFor(/^:mcuser!\S+ PRIVMSG #general :said on node a$/, 5000);
    await rawSync(bob);
    assert.equal(bob.lines.filter((line) => / PRIVMSG #general :said on node a$/.test(line)).length, 0, "bob got it once");

    const whois = await exchange(bob, "WHOIS mcuser");
    assert.equal(whois.filter((line) => line.command === "311").length, 1, `WHOIS shows the user once: ${whois.map((l) => l.raw).join(" | ")}`);
    assert.ok(
      (await names(bob, "#general")).filter((entry) => bareNick(entry) === "mcuser").length === 1,
      "NAMES lists the user once",
    );
  });
});
