/**
 * Files on several nodes: servers sharing one data directory (so one `<dataDir>/files`)
 * and one database — SQLite (one file, a store per server) and PostgreSQL when
 * CMY_TEST_POSTGRES_URL is set — hold one quota together. Uploads through two nodes at
 * once, with real clients (FTP on the wire, curl for HTTP), that together would cross
 * the quota: exactly what fits lands, the other is refused with its door's error (FTP
 * 552, HTTP 413 quota-exceeded), and the usage recorded in the database is what is on
 * disk; FILEHOST uploads of one name through two nodes give two files. A node killed (-9) mid-upload: its reservation holds the room until it expires
 * (cluster.nodeTimeoutSeconds), then its temporary file is deleted and the room is free.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { request, type IncomingMessage } from "node:http";
import { test, type TestContext } from "node:test";
import { isTemporaryUpload } from "../../src/core/files/temporary-upload.js";
import { measureUsage, type Usage } from "../../src/core/files/usage.js";
import type { RunningServer } from "../../src/server.js";
import type { Store } from "../../src/store/database.js";
import { bootServer, createHome, forEachDatabase, openHomeStore, type DatabaseKind, type ServerConfig, type ServerHome } from "../support/account-server.js";
import { bearer, curl } from "../support/curl.js";
import { FtpControl, startUpload } from "../support/ftp-client.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { waitFor } from "../support/wait.js";
import { cliCommand } from "../support/cli-command.js";

const KiB = 1024;
const QUOTA = 1024 * KiB;
const ACCOUNT = "alice";
const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** Every node of a test: quota 1 MiB, FTP (plain: loopback) and HTTP on ephemeral ports. */
function nodeConfig(name: string, nodeTimeoutSeconds: number): ServerConfig {
  return {
    files: { quotaBytes: QUOTA, quotaFiles: 100, maxFileBytes: 0 },
    ftp: { listen: ["127.0.0.1:0"], tls: "off" },
    http: { listen: ["127.0.0.1:0"] },
    cluster: { nodeName: name, nodeTimeoutSeconds },
    limits: { connectionsPerIp: 64 },
  };
}

interface Node {
  readonly server: RunningServer;
  readonly ftpPort: number;
  readonly api: ApiClient;
}

async function startNode(home: ServerHome, name: string, nodeTimeoutSeconds = 15): Promise<Node> {
  const server = await bootServer(home, nodeConfig(name, nodeTimeoutSeconds));
  home.track(() => server.stop());
  return { server, ftpPort: server.ftp[0]!.port, api: ApiClient.forPort(server.http[0]!.port) };
}

async function ftpLogin(port: number, t: TestContext): Promise<FtpControl> {
  const control = await FtpControl.connect(port);
  t.after(() => control.close());
  await control.login(ACCOUNT, PASSWORD);
  assert.equal((await control.command("TYPE I")).code, 200);
  return control;
}

function folder(home: ServerHome): string {
  return join(home.dataDir, "files", ACCOUNT);
}

/** The usage the database records for the account, and the reservations still in it. */
async function recorded(store: Store): Promise<{ usage: Usage | undefined; reservations: number }> {
  const row = await store.db.selectFrom("file_usage").select(["bytes", "files"]).where("account", "=", ACCOUNT).executeTakeFirst();
  const reservations = await store.db.selectFrom("file_reservations").select("id").where("account", "=", ACCOUNT).execute();
  return { usage: row && { bytes: Number(row.bytes), files: Number(row.files) }, reservations: reservations.length };
}

async function temporaryFiles(home: ServerHome): Promise<string[]> {
  return (await readdir(folder(home))).filter(isTemporaryUpload);
}

/** After every test: what the database records is exactly what is on disk, and nothing is held any more. */
async function assertUsageMatchesDisk(home: ServerHome, store: Store, expected: Usage): Promise<void> {
  assert.deepEqual(await temporaryFiles(home), [], "no temporary upload file is left");
  const disk = await measureUsage(folder(home));
  assert.deepEqual(disk, expected, "on disk");
  assert.ok(disk.bytes <= QUOTA, `${disk.bytes} bytes on disk, over the quota`);
  // Settling happens as the reply goes out: give the last one a moment.
  await waitFor(async () => (await recorded(store)).reservations === 0, { what: "no reservation left", timeoutMs: 5000 });
  assert.deepEqual((await recorded(store)).usage, disk, "the database records what is on disk");
}

function listedUsage(node: Node, token: string): Promise<number> {
  return node.api.get<{ usage: { usedBytes: number } }>("/api/v1/files", token).then((reply) => reply.body.usage.usedBytes);
}

forEachDatabase("files on two nodes sharing <dataDir>/files and the database", (kind: DatabaseKind) => {
  test("two FTP uploads through two nodes at once that together cross the quota: one is stored (226), the other cut with 552", async (t) => {
    const home = await createHome(t, kind);
    const a = await startNode(home, "node-a");
    const b = await startNode(home, "node-b");
    const store = await openHomeStore(home);
    const token = (await a.api.register(ACCOUNT)).tokens.accessToken;
    const [viaA, viaB] = [await ftpLogin(a.ftpPort, t), await ftpLogin(b.ftpPort, t)];

    const [upA, upB] = [await startUpload(viaA, "STOR a.bin"), await startUpload(viaB, "STOR b.bin")];
    // 600 KiB each, in 64 KiB pieces sent in turn: either would fit alone, both cannot.
    await Promise.all([upA.send(600 * KiB).then(() => upA.data.end()), upB.send(600 * KiB).then(() => upB.data.end())]);
    const replies = [await viaA.read(10_000), await viaB.read(10_000)];
    assert.deepEqual(
      replies.map((reply) => reply.code).sort(),
      [226, 552],
      replies.map((reply) => reply.lines.join(" ")).join(" / "),
    );
    assert.match(replies.find((reply) => reply.code === 552)!.text, /quota/i);
    const stored = replies[0]!.code === 226 ? "a.bin" : "b.bin";
    assert.equal((await stat(join(folder(home), stored))).size, 600 * KiB);

    await assertUsageMatchesDisk(home, store, { bytes: 600 * KiB, files: 1 });
    // Both nodes show the one usage figure.
    assert.equal(await listedUsage(a, token), 600 * KiB);
    assert.equal(await listedUsage(b, token), 600 * KiB);
  });

  test("an HTTP upload on one node counts the FTP upload still running on the other: 413 quota-exceeded, then what fits is stored", async (t) => {
    const home = await createHome(t, kind);
    const a = await startNode(home, "node-a");
    const b = await startNode(home, "node-b");
    const store = await openHomeStore(home);
    const token = (await a.api.register(ACCOUNT)).tokens.accessToken;
    const url = (name: string): string => `${b.api.base}/api/v1/files/content?path=${encodeURIComponent(name)}`;
    const local = async (name: string, bytes: number): Promise<string> => {
      const file = join(home.dataDir, name);
      await writeFile(file, randomBytes(bytes));
      return file;
    };

    const viaA = await ftpLogin(a.ftpPort, t);
    const ftp = await startUpload(viaA, "STOR ftp.bin");
    await ftp.send(500 * KiB);
    // The server has the bytes (and so holds them in its reservation) once its temporary file has them.
    await waitFor(async () => (await Promise.all((await temporaryFiles(home)).map((name) => stat(join(folder(home), name))))).some((s) => s.size >= 500 * KiB), {
      what: "node A to have received 500 KiB",
    });

    // 500 KiB held by node A's upload + 600 KiB > 1 MiB: refused up front, nothing stored.
    const refused = await curl(["-T", await local("600k.bin", 600 * KiB), ...bearer(token), url("/http.bin")]);
    assert.equal(refused.status, 413, refused.body.toString());
    assert.match(refused.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal((JSON.parse(refused.body.toString()) as { type: string }).type, "urn:cmymessage:problem:quota-exceeded");

    await ftp.send(100 * KiB);
    ftp.data.end();
    assert.equal((await viaA.read(10_000)).code, 226);
    // 600 + 400 KiB fit; 100 KiB more does not (streamed: found while the bytes arrive).
    assert.equal((await curl(["-T", await local("400k.bin", 400 * KiB), ...bearer(token), url("/http.bin")])).status, 201);
    const streamed = await curl(["-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${await local("100k.bin", 100 * KiB)}`, ...bearer(token), url("/more.bin")]);
    assert.equal(streamed.status, 413, streamed.body.toString());

    await assertUsageMatchesDisk(home, store, { bytes: 1000 * KiB, files: 2 });
    assert.equal(await listedUsage(a, token), 1000 * KiB);
  });

  test("FILEHOST: one name uploaded through two nodes at once gives two files, neither replaces the other", async (t) => {
    const home = await createHome(t, kind);
    // Node A in a process of its own: nothing held in one process's memory can help here.
    const a = await spawnNode(home, "node-a", 15, t);
    const b = await startNode(home, "node-b");
    const store = await openHomeStore(home);
    const token = (await b.api.register(ACCOUNT)).tokens.accessToken;
    const headers = { authorization: `Bearer ${token}`, "content-disposition": 'attachment; filename="photo.jpg"' };
    const day = join(folder(home), "uploads", new Date().toISOString().slice(0, 10));

    // Through node A: half the body, then a pause with the upload still running.
    const first = Buffer.alloc(300 * KiB, 0x61);
    const slow = request(`${a.api.base}/api/v1/upload`, { method: "POST", headers: { ...headers, "content-length": String(first.length) } });
    slow.on("error", () => {});
    const slowReply = new Promise<IncomingMessage>((done) => slow.once("response", done));
    slow.write(first.subarray(0, 100 * KiB));
    await waitFor(async () => (await readdir(day).catch(() => [])).some(isTemporaryUpload), { what: "node A's upload to be under way" });

    // Through node B, meanwhile: the name is taken (by node A's upload), so a suffix.
    const second = await fetch(`${b.api.base}/api/v1/upload`, { method: "POST", headers, body: Buffer.alloc(10 * KiB, 0x62) });
    assert.equal(second.status, 201);
    assert.match(second.headers.get("location") ?? "", /\/photo-[0-9a-f]{6}\.jpg$/);

    slow.end(first.subarray(100 * KiB));
    const reply = await slowReply;
    reply.resume();
    assert.equal(reply.statusCode, 201);
    assert.match(String(reply.headers.location), /\/photo\.jpg$/);
    const names = (await readdir(day)).sort();
    assert.equal(names.length, 2, names.join(", "));
    assert.equal((await stat(join(day, "photo.jpg"))).size, 300 * KiB);
    assert.equal((await stat(join(day, names.find((name) => name !== "photo.jpg")!))).size, 10 * KiB);
    // Two files, and the folders /uploads and /uploads/<day>, which count as files do.
    await assertUsageMatchesDisk(home, store, { bytes: 310 * KiB, files: 4 });
  });

  test("a node killed (-9) mid-upload: its reservation holds the room until cluster.nodeTimeoutSeconds, then its temporary file goes and the room is free", async (t) => {
    const timeoutSeconds = 4;
    const home = await createHome(t, kind);
    const a = await startNode(home, "node-a", timeoutSeconds);
    const store = await openHomeStore(home);
    await a.api.register(ACCOUNT);
    const doomed = await spawnNode(home, "doomed", timeoutSeconds, t);

    const viaDoomed = await ftpLogin(doomed.ftpPort, t);
    const upload = await startUpload(viaDoomed, "STOR doomed.bin");
    await upload.send(800 * KiB);
    await waitFor(async () => (await Promise.all((await temporaryFiles(home)).map((name) => stat(join(folder(home), name))))).some((s) => s.size >= 800 * KiB), {
      what: "the doomed node to have received 800 KiB",
    });
    const [held] = await store.db.selectFrom("file_reservations").select(["node", "bytes", "expires_at"]).where("account", "=", ACCOUNT).execute();
    assert.ok(held, "the doomed node holds a reservation");
    assert.equal(held.node, "doomed");
    assert.ok(Number(held.bytes) >= 800 * KiB);
    doomed.child.kill("SIGKILL");
    await doomed.exited;
    const killedAt = Date.now();

    // At once: the dead node's 800 KiB still count, so 300 KiB more do not fit.
    const viaA = await ftpLogin(a.ftpPort, t);
    const early = await viaA.transfer("STOR after.bin", randomBytes(300 * KiB));
    assert.ok(Date.now() - killedAt < timeoutSeconds * 1000 * (2 / 3), "checked before the reservation could have expired (the machine is too slow for this test)");
    assert.equal(early.final.code, 552, early.final.lines.join(" "));

    // Once it expired (it was last renewed at most a third of the timeout before the kill): stored.
    const expiresAt = Number((await store.db.selectFrom("file_reservations").select("expires_at").where("node", "=", "doomed").executeTakeFirstOrThrow()).expires_at);
    assert.ok(expiresAt <= killedAt + timeoutSeconds * 1000, "the reservation expires within cluster.nodeTimeoutSeconds of the kill");
    await new Promise((done) => setTimeout(done, Math.max(0, expiresAt - Date.now()) + 50));
    const late = await viaA.transfer("STOR after.bin", randomBytes(300 * KiB));
    assert.equal(late.final.code, 226, late.final.lines.join(" "));

    await assertUsageMatchesDisk(home, store, { bytes: 300 * KiB, files: 1 });
  });
});

/**
 * A node in a process of its own (`cmymessage serve`) on the same data directory and
 * database: it shares nothing with the others but the volume and the database, and it
 * can be killed with SIGKILL like a machine that dies. Its FTP and HTTP ports are read
 * from its JSON log.
 */
async function spawnNode(home: ServerHome, name: string, nodeTimeoutSeconds: number, t: TestContext): Promise<{ child: ChildProcess; ftpPort: number; api: ApiClient; exited: Promise<void> }> {
  const configFile = join(home.dataDir, `${name}.yaml`);
  // JSON is YAML.
  const config = {
    ...nodeConfig(name, nodeTimeoutSeconds),
    dataDir: home.dataDir,
    database: { url: home.databaseUrl },
    log: { level: "info", format: "json" },
    irc: { listen: ["127.0.0.1:0"], tlsListen: [] },
  };
  await writeFile(configFile, JSON.stringify(config));
  // Nothing from the developer's environment (CMY_*) overrides the file.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("CMY_")));
  const child = spawn(process.execPath, [...cliCommand().args, "serve", "--config", configFile], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  let output = "";
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const ports = new Map<string, number>();
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`node ${name} did not start within 30 s: ${stderr}`)), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`node ${name} exited (${code}) before listening: ${stderr}`));
    });
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      for (const line of output.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const record = JSON.parse(line) as { msg?: string; port?: number };
          if ((record.msg === "FTP listening" || record.msg === "HTTP listening") && typeof record.port === "number") ports.set(record.msg, record.port);
          if (ports.size === 2) {
            clearTimeout(timer);
            done();
          }
        } catch {
          // A line cut in two by the pipe: complete on the next chunk.
        }
      }
      output = output.slice(output.lastIndexOf("\n") + 1);
    });
  });
  return { child, ftpPort: ports.get("FTP listening")!, api: ApiClient.forPort(ports.get("HTTP listening")!), exited };
}
