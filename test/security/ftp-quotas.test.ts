/**
 * Storage limits over FTP, enforced while the bytes arrive: the byte quota, the
 * largest file, the file count; what an upload cut off midway leaves behind in
 * each `files.interruptedUploads` mode (never a silently truncated "complete"
 * file, never a listed temporary file); and a full disk (a real one, a small
 * tmpfs over the account's folder, where this machine lets us mount).
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { measureUsage } from "../../src/core/files/usage.js";
import { FtpControl, connectData, sleep, startUpload } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";
import { waitFor } from "../support/wait.js";

const exec = promisify(execFile);
const sessions = new FtpSessions();
afterEach(() => {
  sessions.closeAll();
});

function loggedIn(server: FtpTestServer): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort, { binary: true });
}

function uploadNames(names: readonly string[]): string[] {
  return names.filter((name) => name.includes(".upload-"));
}

describe("quotas enforced during the transfer", () => {
  let server: FtpTestServer;
  let home: string;
  before(async () => {
    server = await startFtpServer({ files: { quotaBytes: 1024 * 1024, quotaFiles: 4, maxFileBytes: 700 * 1024 }, limits: { connectionsPerIp: 64 } });
    home = await server.home();
  });
  after(() => server.stop());

  test("files.maxFileBytes: a bigger file is cut with 552 while it arrives, and nothing is kept", async () => {
    const control = await loggedIn(server);
    const upload = await startUpload(control, "STOR too-big.bin");
    const sent = await upload.send(3 * 1024 * 1024);
    const reply = await control.read(10_000);
    assert.equal(reply.code, 552);
    assert.match(reply.text, /too large/i);
    assert.ok(sent < 3 * 1024 * 1024, `the client could send all ${sent} bytes: the server did not cut the transfer`);
    await upload.closed;
    await assert.rejects(stat(join(home, "too-big.bin")));
    assert.deepEqual(uploadNames(await readdir(home)), []);
  });

  test("files.quotaBytes: the STOR that crosses it is cut with 552, and the stored usage stays within the quota", async () => {
    const control = await loggedIn(server);
    await control.transfer("STOR first.bin", randomBytes(600 * 1024));
    const upload = await startUpload(control, "STOR second.bin");
    const sent = await upload.send(690 * 1024);
    const reply = await control.read(10_000);
    assert.equal(reply.code, 552);
    assert.match(reply.text, /quota/i);
    assert.ok(sent < 690 * 1024 || reply.code === 552);
    const usage = await measureUsage(home);
    assert.ok(usage.bytes <= 1024 * 1024, `stored ${usage.bytes} bytes`);
    await assert.rejects(stat(join(home, "second.bin")));
  });

  test("APPE that crosses the quota leaves the file as it was", async () => {
    const control = await loggedIn(server);
    const before = await readFile(join(home, "first.bin"));
    const { final } = await control.transfer("APPE first.bin", randomBytes(600 * 1024));
    assert.equal(final.code, 552);
    assert.ok((await readFile(join(home, "first.bin"))).equals(before));
  });

  test("files.quotaFiles: the N+1th file is refused with 552; replacing one is not", async () => {
    const control = await loggedIn(server);
    for (const name of ["f2", "f3", "f4"]) assert.equal((await control.transfer(`STOR ${name}`, Buffer.from("x"))).final.code, 226, name);
    const refused = await control.transfer("STOR f5", Buffer.from("x"));
    assert.equal(refused.final.code, 552);
    await assert.rejects(stat(join(home, "f5")));
    assert.equal((await control.transfer("STOR f4", Buffer.from("yy"))).final.code, 226);
    assert.equal((await control.command("DELE f4")).code, 250);
    assert.equal((await control.transfer("STOR f5", Buffer.from("x"))).final.code, 226);
  });

  test("files.quotaFiles counts folders too: MKD past it is 552 and makes nothing; RMD gives the room back", async () => {
    const control = await loggedIn(server);
    // first.bin, f2, f3, f5: the quota's four are taken.
    const refused = await control.command("MKD empty-folder");
    // Before: 257, and an account could fill the disk's inodes and blocks with empty folders.
    assert.equal(refused.code, 552, refused.text);
    await assert.rejects(stat(join(home, "empty-folder")));
    assert.equal((await control.command("DELE f5")).code, 250);
    assert.equal((await control.command("MKD empty-folder")).code, 257);
    assert.equal((await control.transfer("STOR f6", Buffer.from("x"))).final.code, 552, "the folder took the room");
    // At the quota, making what is already there is "exists" (550), as below it: a mirroring
    // client's MKD of a folder it has must not read as a full quota.
    const again = await control.command("MKD empty-folder");
    assert.equal(again.code, 550, again.text);
    assert.doesNotMatch(again.text, /quota/i);
    assert.equal((await control.command("RMD empty-folder")).code, 250);
    assert.equal((await control.transfer("STOR f5", Buffer.from("x"))).final.code, 226, "its room is back");
  });

  test("two sessions uploading at once cannot add up past the quota", async () => {
    const [a, b] = [await loggedIn(server), await loggedIn(server)];
    // Deleted through FTP, so the usage figures the account's sessions share know it.
    for (const name of ["first.bin", "f2", "f3", "f5"]) assert.equal((await a.command(`DELE ${name}`)).code, 250, name);
    const [ua, ub] = [await startUpload(a, "STOR a.bin"), await startUpload(b, "STOR b.bin")];
    await Promise.all([ua.send(600 * 1024).then(() => ua.data.end()), ub.send(600 * 1024).then(() => ub.data.end())]);
    const codes = [(await a.read(10_000)).code, (await b.read(10_000)).code].sort();
    assert.deepEqual(codes, [226, 552]);
    assert.ok((await measureUsage(home)).bytes <= 1024 * 1024);
  });
});

describe('interruptedUploads: "delete"', () => {
  let server: FtpTestServer;
  let home: string;
  const original = Buffer.from("the original, complete file");
  before(async () => {
    server = await startFtpServer({ files: { interruptedUploads: "delete" }, limits: { connectionsPerIp: 64 } });
    home = await server.home();
  });
  after(() => server.stop());

  async function cutMidway(cut: (upload: Awaited<ReturnType<typeof startUpload>>, control: FtpControl) => Promise<void>): Promise<void> {
    await writeFile(join(home, "doc.bin"), original);
    const control = await loggedIn(server);
    const watcher = await loggedIn(server);
    const upload = await startUpload(control, "STOR doc.bin");
    await upload.send(512 * 1024);
    // Mid-upload: the bytes are in a temporary file on disk (made once the upload's room is reserved: a moment under load)...
    await waitFor(async () => uploadNames(await readdir(home)).length === 1, { what: "the upload's temporary file on disk", timeoutMs: 10_000 });
    // ...which no listing ever shows.
    for (const command of ["LIST -a", "NLST -a", "MLSD", "LIST"]) {
      const listed = (await watcher.transfer(command)).data.toString();
      assert.ok(!listed.includes(".upload-"), `${command} showed ${listed}`);
    }
    assert.ok(!(await watcher.command("STAT -a .")).lines.join("\n").includes(".upload-"));
    await cut(upload, control);
    await sleep(100);
    assert.ok((await readFile(join(home, "doc.bin"))).equals(original), "the old file was damaged");
    assert.deepEqual(uploadNames(await readdir(home)), [], "a temporary file was left behind");
  }

  test("the data connection reset midway: 426, the old file intact, no temporary file", async () => {
    await cutMidway(async (upload, control) => {
      upload.data.resetAndDestroy();
      assert.equal((await control.read(10_000)).code, 426);
    });
  });

  test("ABOR midway: 426 then 226, the old file intact", async () => {
    await cutMidway(async (_upload, control) => {
      control.send("ABOR");
      assert.deepEqual([(await control.read()).code, (await control.read()).code], [426, 226]);
    });
  });

  test("the control connection closed midway (the client went away): the old file intact", async () => {
    await cutMidway(async (upload, control) => {
      control.close();
      upload.data.end();
      await upload.closed;
    });
  });

  test("a client killed midway (curl, SIGKILL: its data connection ends like a finished one) leaves no truncated file", async () => {
    const local = join(tmpdir(), `cmy-kill-${process.pid}.bin`);
    await writeFile(local, randomBytes(3 * 1024 * 1024));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const child = spawn("curl", ["-sS", "-u", `${USER}:${PASSWORD}`, "--limit-rate", "2M", "-T", local, `ftp://127.0.0.1:${server.ftpPort}/killed.bin`], { stdio: "ignore" });
        // Wait until the upload is under way (its temporary file grows), then kill curl.
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && uploadNames(await readdir(home)).length === 0) await sleep(20);
        await sleep(200);
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        // The server removes the temporary file once it has given the upload's room back: a moment under load.
        await waitFor(async () => uploadNames(await readdir(home)).length === 0, { what: `attempt ${attempt}: the temporary file removed`, timeoutMs: 5000 });
        await assert.rejects(stat(join(home, "killed.bin")), { code: "ENOENT" }, `attempt ${attempt}: a truncated killed.bin was kept as if complete`);
      }
    } finally {
      await rm(local, { force: true });
    }
  });
});

describe('interruptedUploads: "keep"', () => {
  let server: FtpTestServer;
  let home: string;
  before(async () => {
    server = await startFtpServer({ files: { interruptedUploads: "keep" }, limits: { connectionsPerIp: 64 } });
    home = await server.home();
  });
  after(() => server.stop());

  test("the bytes that arrived stay and the upload resumes with REST + STOR", async () => {
    const control = await loggedIn(server);
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("STOR partial.bin")).code, 150);
    const content = randomBytes(1024 * 1024);
    data.write(content.subarray(0, 300_000));
    await sleep(200);
    data.resetAndDestroy();
    assert.equal((await control.read(10_000)).code, 426);
    const kept = (await stat(join(home, "partial.bin"))).size;
    assert.ok(kept > 0 && kept <= 300_000, `kept ${kept}`);
    assert.equal((await control.command("SIZE partial.bin")).text, String(kept));
    assert.equal((await control.command(`REST ${kept}`)).code, 350);
    assert.equal((await control.transfer("STOR partial.bin", content.subarray(kept))).final.code, 226);
    assert.ok((await readFile(join(home, "partial.bin"))).equals(content));
  });

  test("...and with APPE", async () => {
    const control = await loggedIn(server);
    const content = randomBytes(200_000);
    await writeFile(join(home, "appended.bin"), content.subarray(0, 77_777));
    assert.equal((await control.transfer("APPE appended.bin", content.subarray(77_777))).final.code, 226);
    assert.ok((await readFile(join(home, "appended.bin"))).equals(content));
  });
});

describe("a full disk", () => {
  test("STOR on a full file system: 452, what was stored before is intact, nothing else damaged", async (t) => {
    const server = await startFtpServer({ files: { interruptedUploads: "delete" } });
    const mountPoint = join(server.dataDir, "files", "alice");
    await mkdir(mountPoint, { recursive: true });
    try {
      await exec("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint], { timeout: 5000 });
    } catch (error) {
      await server.stop();
      // CI runs as root and sets CMY_TEST_REQUIRE_TMPFS, so there this must run; elsewhere (no root) it says why not.
      const why = `cannot mount a tmpfs here (${(error as Error).message.split("\n")[0]})`;
      if (process.env["CMY_TEST_REQUIRE_TMPFS"]) throw new Error(`${why}, and CMY_TEST_REQUIRE_TMPFS is set`);
      t.skip(`${why}; FileSpace's ENOSPC handling is covered in test/unit/files-space.test.ts`);
      return;
    }
    try {
      const control = await loggedIn(server);
      assert.equal((await control.transfer("STOR small.txt", Buffer.from("precious"))).final.code, 226);
      const { final } = await control.transfer("STOR huge.bin", randomBytes(3 * 1024 * 1024));
      assert.equal(final.code, 452, final.lines.join(" | "));
      assert.equal(await readFile(join(mountPoint, "small.txt"), "utf8"), "precious");
      assert.deepEqual((await readdir(mountPoint)).sort(), ["small.txt"]);
      // The session goes on, and the database outside the full disk was not touched by it.
      assert.equal((await control.command("NOOP")).code, 200);
      assert.equal((await control.command("SIZE small.txt")).text, "8");
      control.close();
    } finally {
      await server.server.stop();
      await exec("umount", [mountPoint], { timeout: 5000 }).catch(() => {});
      await server.stop();
    }
  });
});

