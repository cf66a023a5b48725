/**
 * The multi-node harness itself, on what works without the cluster bus: a Redis of
 * the test's own, a PostgreSQL database per run, real `cmymessage serve` processes on
 * the ports they log, and network namespaces that can be cut and healed. The cluster
 * suites build on these; when one of them breaks, this file says which.
 */
import { execFile } from "node:child_process";
import net from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { promisify } from "node:util";
import pg from "pg";
import { postgresBaseUrl } from "../support/databases.js";
import {
  clusterSuite,
  freshPostgresDatabase,
  netnsClusterSuite,
  NodeStartError,
  redisPing,
  startNetnsHosts,
  startNode,
  startRedis,
  Teardown,
} from "../support/cluster.js";
import { rawClient, rawConnect } from "../support/cluster-irc.js";
import { saslPlain } from "../support/sasl.js";
import { rawSync } from "../support/fixture.js";

const execFileAsync = promisify(execFile);

/** Whether a TCP connection to host:port opens within `timeoutMs`. */
function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresBaseUrl()! });
  await client.connect();
  try {
    const { rows } = await client.query("select 1 from pg_database where datname = $1", [name]);
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

clusterSuite("cluster harness", () => {
  test("startRedis: answers PING on its own port; stop and kill end it; restart comes back on the same port", async (t) => {
    const redis = await startRedis(t);
    assert.notEqual(redis.port, 6379, "never the machine's shared Redis");
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
    assert.equal(await redisPing(redis.host, redis.port), true);

    await redis.stop();
    assert.equal(redis.running, false);
    assert.equal(await redisPing(redis.host, redis.port, 300), false, "stopped: no answer");
    await redis.restart();
    assert.equal(await redisPing(redis.host, redis.port), true, "back on the same port");

    const pid = redis.pid;
    await redis.kill();
    assert.equal(await redisPing(redis.host, redis.port, 300), false, "killed: no answer");
    assert.throws(() => process.kill(pid!, 0), "the process is gone");
    await redis.restart();
    assert.equal(await redisPing(redis.host, redis.port), true);
  });

  test("freshPostgresDatabase: a database of its own, dropped at the end even with a node still connected", async (t) => {
    const teardown = new Teardown();
    t.after(() => teardown.run());
    const db = await freshPostgresDatabase(teardown);
    assert.match(db.name, /^cmy_cluster_[0-9a-f]{12}$/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ name: string }>("select current_database() as name");
    assert.equal(rows[0]!.name, db.name);
    // Left open on purpose: DROP … WITH (FORCE) ends it.
    client.on("error", () => {});
    await teardown.run();
    assert.equal(await databaseExists(db.name), false, "dropped");
    await client.end().catch(() => {});
  });

  test("startNode: two CLI nodes on one fresh database (no Redis) start together, serve IRC and HTTP on the logged ports, share accounts, and stop cleanly", async (t) => {
    const db = await freshPostgresDatabase(t);
    const [a, b] = await Promise.all(["harness-a", "harness-b"].map((name) => startNode(t, { name, redisUrl: "", databaseUrl: db.url })));
    for (const node of [a!, b!]) {
      assert.ok(node.ircPort > 0 && node.httpPort > 0, `${node.name} logged its ports`);
      assert.equal(node.ftpPort, 0, "FTP off unless asked");
      const health = await fetch(`${node.httpBase}/healthz`);
      assert.equal(health.status, 200, `${node.name} /healthz`);
      assert.ok(node.logs.some((line) => line.msg === "database ready" && line["dialect"] === "postgres"), `${node.name} is on PostgreSQL`);
    }

    // An account made on one node logs in on the other: they share the database.
    const maker = await rawClient(t, a!, "harnessacct", { readyChannel: null });
    maker.send("REGISTER * * :harness-account-password-1");
    assert.match(await maker.waitFor(/ REGISTER SUCCESS | FAIL REGISTER /, 10_000), / REGISTER SUCCESS /);
    const other = await rawConnect(t, b!);
    other.send("CAP REQ :sasl");
    other.send("NICK someone");
    other.send("USER someone 0 * :someone");
    await other.waitFor(/ CAP \S+ ACK /);
    assert.match((await saslPlain(other, "harnessacct", "harness-account-password-1")).raw, / 903 /);
    other.send("CAP END");
    await other.waitFor(/ 001 /);
    await rawSync(other);

    await Promise.all([a!.stop(), b!.stop()]);
    assert.deepEqual(await a!.exited, { code: 0, signal: null });
  });

  test("startNode: a node that cannot start rejects with its exit code and what it wrote", async (t) => {
    const error = await startNode(t, { name: "harness-bad", redisUrl: "", databaseUrl: "mysql://nowhere" }).catch((e: unknown) => e);
    assert.ok(error instanceof NodeStartError, String(error));
    assert.equal(error.exit?.code, 2, "a configuration error");
    assert.match(error.stderr, /database\.url/);
  });
});

netnsClusterSuite(
  "cluster harness: network namespaces",
  () => {
    test("hosts on a bridge: a node inside one is reached through the bridge and reaches PostgreSQL and Redis; cut drops it off the network, heal brings it back; all removed at the end", async (t) => {
      const teardown = new Teardown();
      t.after(() => teardown.run());
      const network = await startNetnsHosts(teardown, 2);
      const [host0, host1] = network.hosts;
      const redis = await startRedis(teardown, { bind: network.bridgeAddress });
      const db = await freshPostgresDatabase(teardown);
      const node = await startNode(teardown, { name: "netns-0", redisUrl: "", databaseUrl: await network.reachable(db.url), bind: host0!.address, netns: host0!.namespace });
      assert.equal(node.host, host0!.address);

      const client = await rawClient(teardown, node, "nsuser");
      // From inside the other namespace, Redis on the bridge answers.
      const probe = `const s=require("net").connect(${redis.port},"${redis.host}");s.on("connect",()=>s.write("PING\\r\\n"));s.on("data",d=>{process.stdout.write(String(d));process.exit(0)});s.on("error",e=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(2),3000)`;
      const { stdout } = await execFileAsync("ip", ["netns", "exec", host1!.namespace, process.execPath, "-e", probe], { timeout: 10_000 });
      assert.match(stdout, /\+PONG/);

      await network.cut(host0!);
      assert.equal(await canConnect(host0!.address, node.ircPort, 1000), false, "cut: no new connection");
      await network.heal(host0!);
      assert.equal(await canConnect(host0!.address, node.ircPort, 3000), true, "healed: connections open again");
      await rawSync(client);

      const names = [host0!.namespace, host1!.namespace];
      await teardown.run();
      const { stdout: left } = await execFileAsync("ip", ["netns", "list"]);
      for (const name of names) assert.ok(!left.split("\n").some((line) => line.split(" ")[0] === name), `${name} removed`);
      await assert.rejects(execFileAsync("ip", ["link", "show", network.bridge]), "the bridge is removed");
    });
  },
);
