/**
 * FTP at the edges of the file space, where a client can leave the server's view of the
 * files and their quota behind: a folder renamed under an upload, two uploads into one
 * file, REST past the end, a mode that would lock the server out, names as long as the
 * file system takes, a rename to itself. Spoken raw; what is on disk checked directly.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, test } from "node:test";
import { FtpControl, startUpload } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
let keeping: FtpTestServer;
const sessions = new FtpSessions();

before(async () => {
  server = await startFtpServer({ limits: { connectionsPerIp: 32 } });
  keeping = await startFtpServer({ limits: { connectionsPerIp: 32 }, files: { interruptedUploads: "keep" } });
});
afterEach(() => {
  sessions.closeAll();
});
after(async () => {
  await server.stop();
  await keeping.stop();
});

function loggedIn(on: FtpTestServer = server): Promise<FtpControl> {
  return sessions.loggedIn(on.ftpPort);
}

/** Every file below `dir`, hidden ones included, relative to it. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

test("a folder renamed by another session while an upload into it runs: the cut-off upload leaves no hidden file in the renamed folder", async () => {
  const home = await server.home();
  const writer = await loggedIn();
  const renamer = await loggedIn();
  assert.equal((await writer.command("MKD moving")).code, 257);
  const upload = await startUpload(writer, "STOR moving/big.bin");
  await upload.send(256 * 1024);
  assert.equal((await renamer.command("RNFR moving")).code, 350);
  assert.equal((await renamer.command("RNTO moved")).code, 250);
  // The client gives up half way: in FTP's stream mode only the ABOR says so.
  assert.equal((await writer.command("ABOR")).code, 426);
  assert.equal((await writer.read()).code, 226);
  upload.data.destroy();
  await upload.closed;
  // Before: moved/.big.bin.upload-… stayed, hidden from LIST, counted against the quota, undeletable (RMD: not empty).
  assert.deepEqual(await filesBelow(join(home, "moved")), []);
  assert.equal((await renamer.command("RMD moved")).code, 250);
});

test("two uploads into one file at once when cut-off uploads are kept: the second is refused with 450 before its 150, and the first's bytes are the file", async () => {
  const home = await keeping.home();
  await writeFile(join(home, "shared.bin"), Buffer.alloc(100_000, 1));
  const first = await loggedIn(keeping);
  const second = await loggedIn(keeping);
  // Binary: in ASCII mode a random CR LF would arrive as LF.
  assert.equal((await first.command("TYPE I")).code, 200);
  const upload = await startUpload(first, "STOR shared.bin");
  await upload.send(64 * 1024);
  const refused = await second.transfer("STOR shared.bin", Buffer.from("second writer"));
  assert.equal(refused.preliminary.code, 450, refused.preliminary.lines.join(" | "));
  upload.data.end();
  await upload.closed;
  assert.equal((await first.read(10_000)).code, 226);
  assert.equal((await stat(join(home, "shared.bin"))).size, 64 * 1024);
  // Once the first is done the file is free again.
  const after = await second.transfer("STOR shared.bin", Buffer.from("second writer"));
  assert.equal(after.final.code, 226, after.final.lines.join(" | "));
  assert.equal(await readFile(join(home, "shared.bin"), "utf8"), "second writer");
});

test("cut-off uploads kept: a file being written in place, or the folder it is in, cannot be deleted or renamed away under it (450), so usage stays right", async () => {
  const home = await keeping.home();
  const writer = await loggedIn(keeping);
  const other = await loggedIn(keeping);
  assert.equal((await writer.command("TYPE I")).code, 200);
  assert.equal((await writer.command("MKD inplace")).code, 257);
  const upload = await startUpload(writer, "STOR inplace/kp.bin");
  await upload.send(256 * 1024);
  assert.equal((await other.command("DELE inplace/kp.bin")).code, 450);
  assert.equal((await other.command("RNFR inplace/kp.bin")).code, 350);
  assert.equal((await other.command("RNTO elsewhere.bin")).code, 450);
  assert.equal((await other.command("RNFR inplace")).code, 350);
  assert.equal((await other.command("RNTO outplace")).code, 450);
  upload.data.end();
  await upload.closed;
  assert.equal((await writer.read(10_000)).code, 226);
  // Done: the file is free again, and what it counted goes with it.
  assert.equal((await other.command("DELE inplace/kp.bin")).code, 250);
  assert.equal((await other.command("RMD inplace")).code, 250);
  assert.deepEqual((await filesBelow(home)).filter((name) => name.startsWith("inplace")), []);
});

test("one resume of a file at a time (APPE, REST+STOR): a second gets 450 before its 150, so no second copy sits on disk and no append is lost", async () => {
  const home = await server.home();
  await writeFile(join(home, "resumed.bin"), Buffer.alloc(100_000, 1));
  const first = await loggedIn();
  const second = await loggedIn();
  for (const c of [first, second]) assert.equal((await c.command("TYPE I")).code, 200);
  const upload = await startUpload(first, "APPE resumed.bin");
  await upload.send(1000);
  const appe = await second.transfer("APPE resumed.bin", Buffer.from("second"));
  assert.equal(appe.preliminary.code, 450, appe.preliminary.lines.join(" | "));
  assert.equal((await second.command("REST 100")).code, 350);
  const rest = await second.transfer("STOR resumed.bin", Buffer.from("second"));
  assert.equal(rest.preliminary.code, 450, rest.preliminary.lines.join(" | "));
  upload.data.end();
  await upload.closed;
  assert.equal((await first.read(10_000)).code, 226);
  assert.equal((await stat(join(home, "resumed.bin"))).size, 101_000);
  // Free again once the first is done, and nothing hidden is left beside it.
  assert.equal((await second.transfer("APPE resumed.bin", Buffer.from("second"))).final.code, 226);
  assert.equal((await stat(join(home, "resumed.bin"))).size, 101_006);
  assert.deepEqual((await filesBelow(home)).filter((name) => name.startsWith(".")), []);
});

test("REST past the end of the file: STOR and RETR answer 554 and the file is unchanged", async () => {
  const home = await server.home();
  await writeFile(join(home, "ten.txt"), "aaaaaaaaaa");
  const control = await loggedIn();
  // Resuming is for TYPE I (in TYPE A it is refused: see ftp-protocol's REST tests).
  assert.equal((await control.command("TYPE I")).code, 200);
  assert.equal((await control.command("REST 100")).code, 350);
  const stor = await control.transfer("STOR ten.txt", Buffer.from("HELLO"));
  // In place of the 150: refused before the data connection is used.
  assert.equal(stor.preliminary.code, 554, stor.preliminary.lines.join(" | "));
  assert.equal(await readFile(join(home, "ten.txt"), "utf8"), "aaaaaaaaaa");
  assert.equal((await control.command("REST 1000")).code, 350);
  const retr = await control.transfer("RETR ten.txt");
  assert.equal(retr.preliminary.code, 554, retr.preliminary.lines.join(" | "));
  // At the very end is still a place to resume from.
  assert.equal((await control.command("REST 10")).code, 350);
  assert.equal((await control.transfer("STOR ten.txt", Buffer.from("HELLO"))).final.code, 226);
  assert.equal(await readFile(join(home, "ten.txt"), "utf8"), "aaaaaaaaaaHELLO");
});

test("SITE CHMOD cannot take the server's own access away: a folder keeps rwx and a file rw for its owner", async () => {
  const home = await server.home();
  const control = await loggedIn();
  assert.equal((await control.command("MKD locked")).code, 257);
  assert.equal((await control.transfer("STOR locked/inside.txt", Buffer.from("counted"))).final.code, 226);
  assert.equal((await control.command("SITE CHMOD 000 locked")).code, 200);
  assert.equal((await control.command("SITE CHMOD 000 locked/inside.txt")).code, 200);
  assert.equal((await stat(join(home, "locked"))).mode & 0o777, 0o700);
  assert.equal((await stat(join(home, "locked/inside.txt"))).mode & 0o777, 0o600);
  assert.match((await control.command("MLST locked")).lines.join("\n"), /UNIX\.mode=0?700;/);
  // What the user asked for beyond the owner's bits stays as asked.
  assert.equal((await control.command("SITE CHMOD 644 locked")).code, 200);
  assert.equal((await stat(join(home, "locked"))).mode & 0o777, 0o744);
});

test("names as long as the file system takes (250 bytes) upload; longer ones get 553, not a jail alarm", async () => {
  const home = await server.home();
  const control = await loggedIn();
  const long = "L".repeat(250);
  const stored = await control.transfer(`STOR ${long}`, Buffer.from("long name"));
  assert.equal(stored.final.code, 226, stored.final.lines.join(" | "));
  assert.equal(await readFile(join(home, long), "utf8"), "long name");
  const before = server.logs.length;
  assert.equal((await control.command(`MKD ${"M".repeat(300)}`)).code, 553);
  const tooLong = await control.transfer(`STOR ${"N".repeat(300)}`, Buffer.from("x"));
  assert.equal(tooLong.final.code, 553, tooLong.final.lines.join(" | "));
  assert.deepEqual(
    server.logs.slice(before).filter((r) => /outside/.test(r.msg)),
    [],
    "a long name is not an escape from the account's space",
  );
});

test("RNFR then RNTO to the same name is a successful no-op (250), as vsftpd answers", async () => {
  const home = await server.home();
  await writeFile(join(home, "same.txt"), "same");
  const control = await loggedIn();
  assert.equal((await control.command("RNFR same.txt")).code, 350);
  assert.equal((await control.command("RNTO same.txt")).code, 250);
  assert.equal(await readFile(join(home, "same.txt"), "utf8"), "same");
  assert.equal((await control.command("RNFR nothing.txt")).code, 550);
  assert.equal((await control.command("MKD outer")).code, 257);
  assert.equal((await control.command("RNFR outer")).code, 350);
  const intoItself = await control.command("RNTO outer/inner");
  assert.equal(intoItself.code, 553);
  assert.match(intoItself.text, /cannot be moved into itself/);
});

test("a folder cannot be moved so deep that a path inside it passes PATH_MAX: 553, and the account's files stay reachable", async () => {
  const home = await server.home();
  const name = "L".repeat(250);
  // A chain of folders whose deepest path just fits under "c" but would not one level lower.
  const levels = Math.floor((4095 - Buffer.byteLength(home) - "/c".length) / (name.length + 1));
  await mkdir(join(home, "c", ...Array.from({ length: levels }, () => name)), { recursive: true });
  const control = await loggedIn();
  assert.equal((await control.command(`MKD ${"M".repeat(250)}`)).code, 257);
  assert.equal((await control.command("RNFR c")).code, 350);
  const tooDeep = await control.command(`RNTO ${"M".repeat(250)}/c`);
  assert.equal(tooDeep.code, 553, tooDeep.text);
  assert.match(tooDeep.text, /too long/);
  // Before: the move went through; the next login's usage measure failed (ENAMETOOLONG) with 451, on every door.
  const next = await FtpControl.connect(server.ftpPort);
  sessions.adopt(next);
  await next.login(USER, PASSWORD);
  assert.equal((await next.command("CWD c")).code, 250);
  // A move that does not lengthen the folder's path is not walked, and goes.
  assert.equal((await control.command("RNFR c")).code, 350);
  assert.equal((await control.command("RNTO d")).code, 250);
  assert.equal((await control.command("RMD d")).code, 550, "still not empty: the chain moved with it");
});
