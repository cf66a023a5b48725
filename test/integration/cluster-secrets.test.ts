/**
 * Secrets a node makes for itself, in a cluster and on one node, as clients see them:
 * with cluster.redisUrl set, two nodes on one PostgreSQL database (each with its own
 * data directory) accept each other's access tokens and present the same TLS
 * certificate, also when they start at the same moment; without it, each node keeps
 * its own in its data directory, as before. A node that had its own key and certificate
 * before it joined a cluster brings them along.
 *
 * The nodes do not talk to Redis here (the URL points at a closed port): which secret
 * source a node uses depends on the configuration alone (secretsInDatabase).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { validateConfig } from "../../src/config/load.js";
import { secretsInDatabase } from "../../src/cluster/shared-secrets.js";
import type { RunningServer } from "../../src/server.js";
import { bootServer, createHome, forEachDatabase, type ServerConfig, type ServerHome } from "../support/account-server.js";
import { ApiClient } from "../support/http-client.js";

/** A Redis nobody listens on: the server does not connect to it for these tests. */
const REDIS_URL = "redis://127.0.0.1:1";

test("secretsInDatabase: in a cluster (cluster.redisUrl set) yes, on one node no", () => {
  assert.equal(secretsInDatabase(validateConfig({}, "test")), false);
  assert.equal(secretsInDatabase(validateConfig({ cluster: { redisUrl: REDIS_URL }, database: { url: "postgres://db/x" } }, "test")), true);
});

/** A node on `home`'s database with a data directory of its own, stopped when the test ends. */
async function startNode(t: TestContext, home: ServerHome, name: string, config: ServerConfig = {}, dataDir?: string): Promise<{ server: RunningServer; dataDir: string }> {
  let dir = dataDir;
  if (dir === undefined) {
    dir = await mkdtemp(join(tmpdir(), `cmy-node-${name}-`));
    const made = dir;
    t.after(() => rm(made, { recursive: true, force: true }));
  }
  const server = await bootServer(
    { ...home, dataDir: dir },
    { ...config, cluster: { nodeName: name, ...config.cluster }, http: { listen: ["127.0.0.1:0"] }, irc: { tlsListen: ["127.0.0.1:0"] } },
  );
  home.track(() => server.stop());
  return { server, dataDir: dir };
}

/** The SHA-256 fingerprint of the certificate the node's TLS listener presents. */
function presentedFingerprint(server: RunningServer): Promise<string> {
  const port = server.irc.tls[0]!.port;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, timeout: 10_000 }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once("timeout", () => socket.destroy(new Error("TLS handshake timed out")));
    socket.once("error", reject);
  });
}

const api = (server: RunningServer): ApiClient => ApiClient.forPort(server.http[0]!.port);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

forEachDatabase(
  "secrets shared by the nodes of a cluster",
  () => {
    test("two nodes started at the same moment: a token made on A works on B, and both present one certificate; nothing of it on disk", async (t) => {
      const home = await createHome(t, "postgres");
      const cluster = { cluster: { redisUrl: REDIS_URL } };
      const [a, b] = await Promise.all([startNode(t, home, "a", cluster), startNode(t, home, "b", cluster)]);

      const session = await api(a.server).register("alice");
      const me = await api(b.server).get<{ account: { name: string } }>("/api/v1/me", session.tokens.accessToken);
      assert.equal(me.status, 200, `B accepts A's token: ${me.text}`);
      assert.equal(me.body.account.name, "alice");
      const back = await api(a.server).get("/api/v1/me", (await api(b.server).login("alice")).body.tokens.accessToken);
      assert.equal(back.status, 200, "and A accepts B's");

      const [onA, onB] = await Promise.all([presentedFingerprint(a.server), presentedFingerprint(b.server)]);
      assert.equal(onA, onB, "one certificate for the cluster");
      assert.equal(onA, a.server.tlsFingerprint);
      assert.equal(onB, b.server.tlsFingerprint);

      for (const node of [a, b]) {
        assert.equal(await exists(join(node.dataDir, "keys", "jwt-ed25519.pem")), false, "the key is not on disk");
        assert.equal(await exists(join(node.dataDir, "tls")), false, "the certificate is not on disk");
      }
    });

    test("without cluster.redisUrl (one node each, as before): each keeps its own key and certificate in its data directory", async (t) => {
      const home = await createHome(t, "postgres");
      const a = await startNode(t, home, "a");
      const b = await startNode(t, home, "b");

      const session = await api(a.server).register("alice");
      assert.equal((await api(a.server).get("/api/v1/me", session.tokens.accessToken)).status, 200);
      assert.equal((await api(b.server).get("/api/v1/me", session.tokens.accessToken)).status, 401, "B has a key of its own");
      assert.notEqual(await presentedFingerprint(a.server), await presentedFingerprint(b.server));
      for (const node of [a, b]) {
        assert.equal(await exists(join(node.dataDir, "keys", "jwt-ed25519.pem")), true);
        assert.equal(await exists(join(node.dataDir, "tls", "self-signed.crt")), true);
      }
    });

    test("a single server that becomes the cluster's first node keeps its key and certificate: its tokens and fingerprint stay valid on every node", async (t) => {
      const home = await createHome(t, "postgres");
      const alone = await startNode(t, home, "a");
      const fingerprint = await presentedFingerprint(alone.server);
      const session = await api(alone.server).register("alice");
      await alone.server.stop();

      const cluster = { cluster: { redisUrl: REDIS_URL } };
      const a = await startNode(t, home, "a", cluster, alone.dataDir);
      const b = await startNode(t, home, "b", cluster);
      assert.equal(await presentedFingerprint(a.server), fingerprint);
      assert.equal(await presentedFingerprint(b.server), fingerprint);
      assert.equal((await api(b.server).get("/api/v1/me", session.tokens.accessToken)).status, 200, "a token from before the cluster works on the new node");
    });
  },
  ["postgres"],
);
