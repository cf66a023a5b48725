import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode } from "../support/cluster-node.js";
import { ApiClient } from "../support/http-client.js";

/** pino's number for warn. */
const WARN = 40;

async function modeOf(path: string): Promise<string> {
  return `0${((await stat(path)).mode & 0o777).toString(8)}`;
}

test("under umask 022, in a data directory made 0755: the database, its WAL/SHM and every secret are 0600, their folders 0700, and the open directory is warned about", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-modes-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  // What an operator's `mkdir` makes under the usual umask.
  await chmod(dataDir, 0o755);
  // The child inherits it: the server runs as an operator's shell would start it.
  const previous = process.umask(0o022);
  t.after(() => process.umask(previous));

  const node = await startNode(t, {
    name: "modes",
    redisUrl: "",
    databaseUrl: "",
    dataDir,
    // A self-signed certificate (key in tls/) and an access-token key (keys/) are made at the first start.
    env: { CMY_IRC_TLS_LISTEN: "127.0.0.1:0" },
  });
  // A write, so the WAL holds data.
  await ApiClient.forPort(node.httpPort).register("modes");

  const database = join(dataDir, "cmymessage.db");
  for (const file of [database, `${database}-wal`, `${database}-shm`, join(dataDir, "keys", "jwt-ed25519.pem"), join(dataDir, "tls", "self-signed.key")]) {
    assert.equal(await modeOf(file), "0600", file);
  }
  for (const dir of [join(dataDir, "keys"), join(dataDir, "tls")]) assert.equal(await modeOf(dir), "0700", dir);

  const warnings = node.logs.filter((line) => line.level === WARN && /data directory/.test(line.msg));
  assert.equal(warnings.length, 1, node.tail());
  assert.equal(warnings[0]!["mode"], "0755");
});

test("a private data directory (0700) gives no warning", async (t) => {
  const node = await startNode(t, { name: "private", redisUrl: "", databaseUrl: "", http: false });
  assert.equal(await modeOf(node.dataDir), "0700");
  assert.equal(node.logs.filter((line) => line.level === WARN && /data directory/.test(line.msg)).length, 0, node.tail());
});
