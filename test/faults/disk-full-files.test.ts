/**
 * The disk under the file space fills up (a small real tmpfs over the account's
 * folder; the database is elsewhere). HTTP uploads (PUT /api/v1/files/content and the
 * FILEHOST POST) get 507 problem+json and leave nothing behind; FTP APPE gets 452 and
 * the file it appended to is as it was; the FTP session goes on. With
 * `files.interruptedUploads: keep`, what fitted of a STOR is kept and, once the file
 * system has room again, REST resumes it into the whole file. (STOR on a full disk
 * with the default mode: test/security/ftp-quotas.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { FtpControl } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpServerConfig, type FtpTestServer } from "../support/ftp-server.js";
import { ApiClient, isProblem, type HttpReply } from "../support/http-client.js";
import { teardownOf } from "../support/teardown.js";
import { mountTmpfs } from "../support/tmpfs.js";

const exec = promisify(execFile);
const MiB = 1024 * 1024;
/** The account's folder: 1 MiB, and every upload below is bigger. */
const TMPFS_BYTES = MiB;

async function serverOnFullDisk(t: Parameters<typeof mountTmpfs>[0], config: FtpServerConfig): Promise<{ server: FtpTestServer; home: string } | null> {
  const server = await startFtpServer({ ...config, http: { listen: ["127.0.0.1:0"] } });
  teardownOf(t).add("stopping the server", () => server.stop());
  const home = join(server.dataDir, "files", USER);
  await mkdir(home, { recursive: true });
  // Unmounted (by the teardown) before the server's data directory is removed.
  return (await mountTmpfs(t, TMPFS_BYTES, home)) === null ? null : { server, home };
}

async function ftp(t: Parameters<typeof mountTmpfs>[0], server: FtpTestServer): Promise<FtpControl> {
  const control = await FtpControl.connect(server.ftpPort);
  teardownOf(t).add("closing the FTP session", () => control.close());
  await control.login(USER, PASSWORD);
  assert.equal((await control.command("TYPE I")).code, 200);
  return control;
}

/** A request whose body may be cut off by an early answer: the answer, or what went wrong sending. */
async function request(url: string, init: RequestInit): Promise<HttpReply<unknown>> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

/** Everything below `dir` (relative paths), uploads in progress included. */
async function everything(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

test("HTTP uploads on a full disk get 507 problem+json and leave nothing; FTP APPE gets 452 with the file intact; the FTP session goes on", async (t) => {
  const mounted = await serverOnFullDisk(t, { files: { interruptedUploads: "delete" } });
  if (mounted === null) return;
  const { server, home } = mounted;
  const control = await ftp(t, server);
  const precious = randomBytes(200 * 1024);
  assert.equal((await control.transfer("STOR precious.bin", precious)).final.code, 226);

  const api = ApiClient.forPort(server.server.http[0]!.port);
  const login = await api.login(USER, PASSWORD);
  assert.equal(login.status, 200, login.text);
  const token = login.body.tokens.accessToken;
  const auth = { authorization: `Bearer ${token}` };
  const big = randomBytes(3 * MiB);

  const put = await request(`${api.base}/api/v1/files/content?path=${encodeURIComponent("/big.bin")}`, { method: "PUT", headers: auth, body: big });
  assert.ok(isProblem(put, 507), `PUT on a full disk: ${put.status} ${put.text}`);
  assert.match((put.body as { detail: string }).detail, /disk is full/i);
  // A PUT replacing an existing file: 507, and the old file whole.
  const replace = await request(`${api.base}/api/v1/files/content?path=${encodeURIComponent("/precious.bin")}`, { method: "PUT", headers: auth, body: big });
  assert.ok(isProblem(replace, 507), `PUT replacing a file: ${replace.status} ${replace.text}`);
  assert.ok((await readFile(join(home, "precious.bin"))).equals(precious), "the replaced file was damaged");
  const filehost = await request(`${api.base}/api/v1/upload`, { method: "POST", headers: { ...auth, "content-disposition": 'attachment; filename="big.png"' }, body: big });
  assert.ok(isProblem(filehost, 507), `FILEHOST POST on a full disk: ${filehost.status} ${filehost.text}`);
  // Nothing partial, no temporary file: the FILEHOST day folder may stay, empty.
  const files = (await everything(home)).filter((entry) => !/^uploads(\/\d{4}-\d{2}-\d{2})?$/.test(entry));
  assert.deepEqual(files, ["precious.bin"]);

  // FTP APPE that cannot fit: 452, the file as it was.
  const appe = await control.transfer("APPE precious.bin", big);
  assert.equal(appe.final.code, 452, appe.final.lines.join(" | "));
  assert.ok((await readFile(join(home, "precious.bin"))).equals(precious), "APPE left the file changed");
  assert.deepEqual((await everything(home)).filter((entry) => !entry.startsWith("uploads")), ["precious.bin"]);

  // The session goes on, and the usage it reports is what is on disk.
  assert.equal((await control.command("NOOP")).code, 200);
  assert.equal((await control.command("SIZE precious.bin")).text, String(precious.length));
  const listing = await request(`${api.base}/api/v1/files`, { headers: auth });
  assert.equal(listing.status, 200);
  assert.equal((listing.body as { usage: { usedBytes: number } }).usage.usedBytes, precious.length);

  // Room again: the same PUT is stored whole.
  await exec("mount", ["-o", `remount,size=${8 * MiB}`, home], { timeout: 5000 });
  const again = await request(`${api.base}/api/v1/files/content?path=${encodeURIComponent("/big.bin")}`, { method: "PUT", headers: auth, body: big });
  assert.equal(again.status, 201, again.text);
  assert.ok((await readFile(join(home, "big.bin"))).equals(big));
});

test('interruptedUploads "keep": what fitted of a STOR on a full disk is kept (452), and REST resumes it once there is room', async (t) => {
  const mounted = await serverOnFullDisk(t, { files: { interruptedUploads: "keep" } });
  if (mounted === null) return;
  const { home } = mounted;
  const control = await ftp(t, mounted.server);
  const content = randomBytes(3 * MiB);
  const first = await control.transfer("STOR resumable.bin", content);
  assert.equal(first.final.code, 452, first.final.lines.join(" | "));
  const kept = (await stat(join(home, "resumable.bin"))).size;
  assert.ok(kept > 0 && kept < content.length, `kept ${kept} bytes`);
  assert.ok((await readFile(join(home, "resumable.bin"))).equals(content.subarray(0, kept)), "what was kept is not the start of the file");
  assert.equal((await control.command("SIZE resumable.bin")).text, String(kept));

  await exec("mount", ["-o", `remount,size=${8 * MiB}`, home], { timeout: 5000 });
  assert.equal((await control.command(`REST ${kept}`)).code, 350);
  const resumed = await control.transfer("STOR resumable.bin", content.subarray(kept));
  assert.equal(resumed.final.code, 226, resumed.final.lines.join(" | "));
  assert.ok((await readFile(join(home, "resumable.bin"))).equals(content), "the resumed file is not the whole file");
});
