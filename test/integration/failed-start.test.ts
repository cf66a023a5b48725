/**
 * A server that cannot start (a port it must listen on is taken) stops what it had
 * started before the error goes up: nothing of it keeps running on the closed database,
 * and nothing of it stays open.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtemp, readdir, readlink, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import { startServer } from "../../src/server.js";

/** A fresh data directory, and a loopback port some other listener holds; both gone after the test. */
async function dataDirAndTakenPort(t: TestContext): Promise<{ dataDir: string; port: number }> {
  // Resolved: /proc/self/fd names files by their real path, whatever link TMPDIR goes through.
  const dataDir = await realpath(await mkdtemp(join(tmpdir(), "cmy-failed-start-")));
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });
  return { dataDir, port: (taken.address() as net.AddressInfo).port };
}

test("a start that fails on a taken port leaves no background work behind on the closed database", async (t) => {
  const { dataDir, port } = await dataDirAndTakenPort(t);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const config = validateConfig({ dataDir, irc: { listen: ["127.0.0.1:0"], tlsListen: [] }, ftp: { listen: [] }, http: { listen: [`127.0.0.1:${port}`] } }, "test");
  await assert.rejects(startServer(config, { log: pino({ level: "info" }, sink), reload: async () => config }), /127\.0\.0\.1:\d+/);
  // The search indexer's first pass would come 500 ms after the start; the retention, push and
  // checkpoint work stopped too. Twice that long, and nothing complained of a closed database.
  await sleep(1200);
  const afterwards = lines.filter((line) => /search index|checkpoint|retention|destroyed|closed/i.test(line));
  assert.deepEqual(afterwards, []);
});

/** Where this process's open descriptors lead (sockets as `socket:[inode]`). */
async function openDescriptors(): Promise<string[]> {
  const targets = await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => null)));
  return targets.filter((target): target is string => target !== null);
}

test("a start that fails after IRC listens (its TLS port taken) closes that listener and the database", async (t) => {
  const { dataDir, port } = await dataDirAndTakenPort(t);
  const sockets = (targets: string[]) => targets.filter((target) => target.startsWith("socket:")).length;
  const before = await openDescriptors();
  const config = validateConfig(
    { dataDir, irc: { listen: ["127.0.0.1:0"], tlsListen: [`127.0.0.1:${port}`] }, ftp: { listen: [] }, http: { listen: [] } },
    "test",
  );
  // The plain listener and the database (and the TLS certificate made for the TLS port) are open when the TLS port fails.
  await assert.rejects(startServer(config, { log: pino({ level: "silent" }), reload: async () => config }), /127\.0\.0\.1:\d+/);
  const after = await openDescriptors();
  assert.deepEqual(
    after.filter((target) => target.startsWith(dataDir)),
    [],
    "no file of the data directory (the database, its WAL) is still open",
  );
  assert.equal(sockets(after), sockets(before), "no listening socket is left open");
});
