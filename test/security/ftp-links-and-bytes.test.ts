/**
 * Symbolic links in a space (left by an operator, a restore or another service: FTP
 * cannot make one) follow one rule: no command ever follows one. Every command that
 * reads or changes a file or folder by name answers 550 for a link, as for anything
 * that is neither; DELE removes the link itself, so a folder holding one can still be
 * emptied and removed; listings say what may be done with one (only delete it).
 * Also: a lone 0xFF byte in a command line gets the line refused, never dropped;
 * `RMD .` is refused rather than removing the current folder; the login timeout
 * also ends a connection whose TLS handshake after AUTH TLS never completes.
 */
import assert from "node:assert/strict";
import { lstat, mkdir, readFile, readlink, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, sleep } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
let home: string;
const sessions = new FtpSessions();
const OLD = new Date("2020-02-02T02:02:02Z");

before(async () => {
  server = await startFtpServer({ limits: { connectionsPerIp: 64 }, ftp: { tls: "optional" } });
  home = await server.home();
});
afterEach(() => {
  sessions.closeAll();
});
after(() => server.stop());

function loggedIn(): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort, { binary: true });
}

/** A file r1.bin and a folder tdir, a link to each (inner2, dirlink), all in folder `at`. */
async function plantLinks(at: string): Promise<string> {
  const dir = join(home, at);
  await mkdir(join(dir, "tdir"), { recursive: true });
  await writeFile(join(dir, "r1.bin"), "r1 bytes");
  await writeFile(join(dir, "tdir", "in.txt"), "in");
  await symlink("r1.bin", join(dir, "inner2"));
  await symlink("tdir", join(dir, "dirlink"));
  await utimes(join(dir, "r1.bin"), OLD, OLD);
  await utimes(join(dir, "tdir"), OLD, OLD);
  return dir;
}

describe("symbolic links pointing inside the space", () => {
  test("no command follows one: each answers 550 and neither the link nor what it points to changes", async () => {
    const dir = await plantLinks("follow");
    const control = await loggedIn();
    assert.equal((await control.command("CWD /follow")).code, 250);
    const before = { file: await stat(join(dir, "r1.bin")), folder: await stat(join(dir, "tdir")) };
    const commands = [
      "MLST inner2",
      "MLST dirlink",
      "MDTM inner2",
      "MDTM dirlink",
      "STAT inner2",
      "STAT dirlink",
      "SIZE inner2",
      "RNFR inner2",
      "RNFR dirlink",
      "CWD dirlink",
      "CWD dirlink/",
      "CWD dirlink/.",
      "MFMT 19990101000000 inner2",
      "MFMT 19990101000000 dirlink",
      "SITE UTIME 19990101000000 dirlink",
      "SITE UTIME dirlink 19990101000000 19990101000000 19990101000000 UTC",
      "SITE CHMOD 000 dirlink",
      "SITE CHMOD 000 inner2",
      "MLST dirlink/",
    ];
    for (const command of commands) {
      const reply = await control.command(command);
      assert.equal(reply.code, 550, `${command}: ${reply.lines.join(" | ")}`);
    }
    assert.equal((await control.command("PWD")).text.split('"')[1], "/follow");
    for (const command of ["RETR inner2", "LIST dirlink", "NLST dirlink", "MLSD dirlink", "STOR inner2", "APPE inner2", "STOR dirlink"]) {
      const { data, final } = await control.transfer(command, command.startsWith("STOR") || command.startsWith("APPE") ? Buffer.from("written through") : undefined);
      assert.equal(final.code, 550, `${command}: ${final.lines.join(" | ")}`);
      assert.equal(data.length, 0, `${command} sent ${data.toString()}`);
    }
    const after = { file: await stat(join(dir, "r1.bin")), folder: await stat(join(dir, "tdir")) };
    assert.equal(after.file.mtime.getTime(), before.file.mtime.getTime(), "the file's time");
    assert.equal(after.folder.mtime.getTime(), before.folder.mtime.getTime(), "the folder's time");
    assert.equal(after.file.mode, before.file.mode, "the file's mode");
    assert.equal(after.folder.mode, before.folder.mode, "the folder's mode (it keeps its search bit)");
    assert.equal(await readFile(join(dir, "r1.bin"), "utf8"), "r1 bytes");
    assert.equal(await readlink(join(dir, "inner2")), "r1.bin");
    assert.equal(await readlink(join(dir, "dirlink")), "tdir");
    // What they point to still answers by its own name.
    assert.equal((await control.command("SIZE r1.bin")).text, "8");
    assert.equal((await control.command("MDTM tdir")).text, "20200202020202");
  });

  test("DELE removes the link itself, never what it points to; a folder holding links can then be removed", async () => {
    const dir = await plantLinks("dele");
    await mkdir(join(dir, "box"));
    await symlink("../r1.bin", join(dir, "box", "to-file"));
    await symlink("../tdir", join(dir, "box", "to-folder"));
    await symlink("missing", join(dir, "box", "dangling"));
    const control = await loggedIn();
    assert.equal((await control.command("DELE dele/inner2")).code, 250);
    assert.equal((await control.command("DELE dele/dirlink")).code, 250);
    await assert.rejects(lstat(join(dir, "inner2")));
    await assert.rejects(lstat(join(dir, "dirlink")));
    assert.equal(await readFile(join(dir, "r1.bin"), "utf8"), "r1 bytes");
    assert.equal(await readFile(join(dir, "tdir", "in.txt"), "utf8"), "in");
    assert.equal((await control.command("RMD dele/box")).code, 550, "not empty yet");
    for (const name of ["to-file", "to-folder", "dangling"]) assert.equal((await control.command(`DELE dele/box/${name}`)).code, 250, name);
    assert.equal((await control.command("RMD dele/box")).code, 250);
    assert.ok((await stat(join(dir, "tdir"))).isDirectory());
  });

  test("listings show a link as a link that may only be deleted (perm=d); one leading out of the space not even that", async () => {
    await plantLinks("listed");
    await symlink("/etc", join(home, "listed", "etc-link"));
    const control = await loggedIn();
    const { data, final } = await control.transfer("MLSD listed");
    assert.equal(final.code, 226);
    const facts = new Map(
      data
        .toString()
        .split("\r\n")
        .filter(Boolean)
        .map((line) => [line.slice(line.indexOf(" ") + 1), line.slice(0, line.indexOf(" "))] as const),
    );
    for (const name of ["inner2", "dirlink"]) {
      assert.match(facts.get(name) ?? "", /(^|;)type=OS\.unix=symlink;/, name);
      assert.match(facts.get(name) ?? "", /(^|;)perm=d;/, name);
    }
    assert.match(facts.get("etc-link") ?? "", /(^|;)perm=;/);
    assert.match(facts.get("r1.bin") ?? "", /(^|;)type=file;.*perm=adfrw;/);
    assert.match(facts.get("tdir") ?? "", /(^|;)type=dir;.*perm=flcdmpe;/);
  });

  test("MLST / offers only what can be done to the root: no delete (d) and no rename (f)", async () => {
    const control = await loggedIn();
    const reply = await control.command("MLST /");
    assert.equal(reply.code, 250);
    const perm = /perm=([a-z]*);/.exec(reply.lines[1] ?? "")?.[1];
    assert.equal(perm, "lcmpe", reply.lines.join(" | "));
    assert.equal((await control.command("RMD /")).code, 550);
    assert.ok((await control.command("RNFR /")).code >= 500, "RNFR /");
  });
});

describe("a lone 0xFF byte (IAC followed by no Telnet command) in a command line", () => {
  async function sendBytes(control: FtpControl, ...parts: Array<string | number[]>): Promise<number> {
    control.sendRaw(Buffer.concat([...parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : Buffer.from(part))), Buffer.from("\r\n")]));
    return (await control.read()).code;
  }

  test("gets 501 and nothing done: MKD and RMD of L\\xffon touch no /Lon", async () => {
    const control = await loggedIn();
    assert.equal(await sendBytes(control, "MKD L", [0xff], "on"), 501);
    await assert.rejects(lstat(join(home, "Lon")), "MKD made /Lon");
    await mkdir(join(home, "Lon2"));
    assert.equal(await sendBytes(control, "RMD L", [0xff], "on2"), 501);
    assert.ok((await stat(join(home, "Lon2"))).isDirectory(), "RMD removed /Lon2");
    // At the very end of the line, and leading it with no Telnet command before: refused too.
    assert.equal(await sendBytes(control, "MKD Lon3", [0xff]), 501);
    assert.equal(await sendBytes(control, [0xff], "MKD Lon4"), 501);
    await assert.rejects(lstat(join(home, "Lon3")));
    await assert.rejects(lstat(join(home, "Lon4")));
    // IAC IAC is one 0xFF byte, not UTF-8 on its own: 501 too.
    assert.equal(await sendBytes(control, "MKD L", [0xff, 0xff], "on5"), 501);
    await assert.rejects(lstat(join(home, "Lon5")));
  });

  test("real Telnet commands still go: IAC IP IAC DM, and IAC IP IAC (the DM went urgent) before a verb", async () => {
    const control = await loggedIn();
    assert.equal(await sendBytes(control, [0xff, 0xf4, 0xff, 0xf2], "NOOP"), 200);
    assert.equal(await sendBytes(control, [0xff, 0xf4, 0xff], "NOOP"), 200);
    assert.equal(await sendBytes(control, [0xf4, 0xff, 0xf2], "NOOP"), 200);
    assert.equal(await sendBytes(control, "NO", [0xff, 0xfb, 0x01], "OP"), 200);
  });
});

describe("RMD of . or ..", () => {
  test("is refused (550) as vsftpd refuses it, and the folder stays", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("MKD /dot")).code, 257);
    assert.equal((await control.command("MKD /dot/inner")).code, 257);
    assert.equal((await control.command("CWD /dot/inner")).code, 250);
    for (const path of [".", "./", "./.", "/dot/inner/.", "../inner/.", "..", "../", "/dot/inner/..", "XRMD ."]) {
      const command = path.startsWith("XRMD") ? path : `RMD ${path}`;
      const reply = await control.command(command);
      assert.equal(reply.code, 550, `${command}: ${reply.lines.join(" | ")}`);
    }
    assert.ok((await stat(join(home, "dot", "inner"))).isDirectory());
    // Named by its own name, it goes.
    assert.equal((await control.command("CWD /dot")).code, 250);
    assert.equal((await control.command("RMD inner")).code, 250);
    assert.equal((await control.command("RMD /dot")).code, 250);
  });
});

describe("the login timeout and a TLS handshake that never ends", () => {
  let timed: FtpTestServer;
  before(async () => {
    timed = await startFtpServer({ ftp: { tls: "optional", loginTimeoutSeconds: 1.5, idleTimeoutSeconds: 30 } });
  });
  after(() => timed.stop());

  for (const [what, hello] of [
    ["nothing sent after AUTH TLS", null],
    ["a ClientHello begun and never finished", Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05])],
  ] as const) {
    test(`ends the connection at ftp.loginTimeoutSeconds after connecting: ${what}`, async () => {
      const started = Date.now();
      const control = await FtpControl.connect(timed.ftpPort);
      sessions.adopt(control);
      assert.equal((await control.command("AUTH TLS")).code, 234);
      if (hello) control.sendRaw(hello);
      const closed = await Promise.race([control.closed.then(() => true), sleep(5000).then(() => false)]);
      const elapsed = Date.now() - started;
      assert.ok(closed, "still open 5 s after connecting (login timeout 1.5 s)");
      assert.ok(elapsed >= 1400, `closed after ${elapsed} ms, before the login timeout`);
      // The sweep runs every 0.375 s here; some room for a loaded machine.
      assert.ok(elapsed < 2800, `closed after ${elapsed} ms`);
    });
  }
});
