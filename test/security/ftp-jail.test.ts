/**
 * The jail end to end: every path-taking command, with every spelling of "up and
 * out" (.., /.., absolute paths, backslashes, percent-encoding, Unicode
 * look-alikes, NUL), and symbolic links planted inside the account's folder that
 * point to /etc or to another account. Nothing outside the space is ever read,
 * written, listed, renamed, deleted or created, and the files there are compared
 * byte for byte before and after.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, type FtpReply } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
let home: string;
let bobHome: string;
const sessions = new FtpSessions();
const CANARY = "bob's secret canary";

before(async () => {
  server = await startFtpServer({ limits: { connectionsPerIp: 64 } }, [
    [USER, PASSWORD],
    ["bob", PASSWORD],
  ]);
  home = await server.home();
  bobHome = await server.home("bob");
  await writeFile(join(bobHome, "canary.txt"), CANARY);
  await mkdir(join(bobHome, "dir"), { recursive: true });
  await writeFile(join(server.dataDir, "files", "loose-canary.txt"), CANARY);
  await writeFile(join(server.dataDir, "top-canary.txt"), CANARY);
  await writeFile(join(home, "mine.txt"), "mine");
  // Links planted in alice's folder (by an administrator, a shared volume, another service).
  await symlink("/etc", join(home, "etc-link"));
  await symlink("/etc/passwd", join(home, "passwd-link"));
  await symlink(bobHome, join(home, "bob-link"));
  await symlink("../bob/canary.txt", join(home, "canary-link"));
  await symlink(server.dataDir, join(home, "data-link"));
});
afterEach(() => {
  sessions.closeAll();
});
after(() => server.stop());

function loggedIn(): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort, { binary: true });
}

/** Every file and directory under the data directory except alice's space, with a hash of each file. */
async function outsideSnapshot(): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (path === home) continue;
      const info = await lstat(path);
      const key = relative(server.dataDir, path);
      // The database changes on its own (logins); its contents are not ours to compare.
      if (key.startsWith("cmymessage.db")) continue;
      if (info.isDirectory()) {
        snapshot.set(key, "dir");
        await walk(path);
      } else if (info.isFile()) snapshot.set(key, createHash("sha256").update(await readFile(path)).digest("hex"));
      else snapshot.set(key, "other");
    }
  };
  await walk(server.dataDir);
  return snapshot;
}

const TRAVERSALS = [
  "../bob/canary.txt",
  "../../files/bob/canary.txt",
  "../../../../../../../../etc/passwd",
  "/../bob/canary.txt",
  "/../../top-canary.txt",
  "/etc/passwd",
  `${"../".repeat(40)}etc/passwd`,
  "..\\bob\\canary.txt",
  "\\..\\..\\etc\\passwd",
  "%2e%2e/bob/canary.txt",
  "%2e%2e%2fbob%2fcanary.txt",
  "..%2fbob%2fcanary.txt",
  "%252e%252e/bob/canary.txt",
  "．．/bob/canary.txt",
  "‥/bob/canary.txt",
  "..\u2215bob\u2215canary.txt",
  "../bob/canary.txt\u0000.txt",
  "mine.txt\u0000../../bob/canary.txt",
  "./.././../loose-canary.txt",
  "dir/../../bob/canary.txt",
];

function refused(reply: FtpReply, what: string): void {
  assert.ok([450, 501, 550, 553].includes(reply.code), `${what}: ${reply.lines.join(" | ")}`);
  assert.ok(!reply.lines.join("\n").includes(CANARY), `${what} leaked the canary`);
  assert.ok(!reply.lines.join("\n").includes("root:"), `${what} leaked /etc/passwd`);
}

describe("path traversal, end to end", () => {
  test("reading commands (RETR, SIZE, MDTM, MLST, LIST, NLST, MLSD, STAT, CWD, RNFR) never reach outside", async () => {
    const control = await loggedIn();
    const before = await outsideSnapshot();
    for (const path of TRAVERSALS) {
      for (const verb of ["SIZE", "MDTM", "MLST", "CWD", "RNFR", "STAT"]) refused(await control.command(`${verb} ${path}`), `${verb} ${path}`);
      for (const verb of ["RETR", "LIST", "NLST", "MLSD"]) {
        const { data, final } = await control.transfer(`${verb} ${path}`);
        assert.ok(!data.toString().includes(CANARY) && !data.toString().includes("root:"), `${verb} ${path} sent outside bytes`);
        // A listing of a missing directory is refused; nothing that exists outside is listed.
        assert.ok(final.code !== 226 || !/canary|passwd/.test(data.toString()), `${verb} ${path}: ${final.lines.join(" | ")} ${data.toString()}`);
        if (verb === "RETR") refused(final, `RETR ${path}`);
      }
      assert.match((await control.command("PWD")).text, /^"\/"/);
    }
    assert.deepEqual(await outsideSnapshot(), before);
  });

  test("writing commands (STOR, APPE, DELE, MKD, RMD, RNTO, SITE CHMOD, MFMT) never change anything outside", async () => {
    const control = await loggedIn();
    const before = await outsideSnapshot();
    for (const path of TRAVERSALS) {
      for (const verb of ["STOR", "APPE"]) {
        const { final } = await control.transfer(`${verb} ${path}`, Buffer.from("overwritten!"));
        // Either refused, or stored inside alice's space under the clamped name.
        assert.ok(final.code === 226 || final.code >= 450, `${verb} ${path}: ${final.lines.join(" | ")}`);
      }
      // These may succeed on what STOR and MKD just made inside the space under the clamped name;
      // the snapshot below shows that nothing outside changed.
      for (const command of [`DELE ${path}`, `RMD ${path}`, `SITE CHMOD 777 ${path}`, `MFMT 20000101000000 ${path}`]) {
        const reply = await control.command(command);
        assert.ok(!reply.lines.join("\n").includes(CANARY), command);
      }
      const made = await control.command(`MKD ${path}`);
      assert.ok(made.code === 257 || made.code >= 450, `MKD ${path}: ${made.lines.join(" | ")}`);
      await writeFile(join(home, "movable.txt"), "m");
      assert.equal((await control.command("RNFR movable.txt")).code, 350);
      const moved = await control.command(`RNTO ${path}`);
      assert.ok(moved.code === 250 || moved.code >= 450, `RNTO ${path}: ${moved.lines.join(" | ")}`);
    }
    assert.deepEqual(await outsideSnapshot(), before);
    assert.equal(await readFile(join(bobHome, "canary.txt"), "utf8"), CANARY);
  });

  test('"/..", "..", "../.." at the root are the root itself', async () => {
    const control = await loggedIn();
    for (const path of ["/..", "..", "../..", "/../..", "\u002e\u002e"]) {
      assert.equal((await control.command(`CWD ${path}`)).code, 250);
      assert.match((await control.command("PWD")).text, /^"\/"/);
      const names = (await control.transfer(`NLST ${path}`)).data.toString().split("\r\n");
      assert.ok(names.includes("mine.txt") && !names.includes("bob") && !names.includes("alice"), names.join(","));
    }
    assert.equal((await control.command("CDUP")).code, 250);
    assert.match((await control.command("PWD")).text, /^"\/"/);
  });

  test("a path refused as outside is logged", async () => {
    const control = await loggedIn();
    await control.command("SIZE etc-link/passwd");
    assert.ok(server.logs.some((record) => record.msg === "ftp path outside the account's space refused" && record["path"] === "etc-link/passwd"));
  });
});

describe("symbolic links planted in the space", () => {
  test("are shown in listings as links, but cannot be listed through, entered, read or stat'ed", async () => {
    const control = await loggedIn();
    const listing = (await control.transfer("LIST")).data.toString();
    assert.match(listing, /^l.* etc-link$/m);
    for (const path of ["etc-link", "etc-link/", "bob-link", "bob-link/dir", "data-link", "data-link/files/bob"]) {
      refused(await control.command(`CWD ${path}`), `CWD ${path}`);
      for (const verb of ["LIST", "NLST", "MLSD"]) {
        const { data, final } = await control.transfer(`${verb} ${path}`);
        assert.equal(final.code, 550, `${verb} ${path}: ${final.lines.join(" | ")} ${data.toString()}`);
        assert.equal(data.length, 0);
      }
    }
    for (const path of ["passwd-link", "etc-link/passwd", "bob-link/canary.txt", "canary-link", "data-link/top-canary.txt", "data-link/files/bob/canary.txt"]) {
      const { data, final } = await control.transfer(`RETR ${path}`);
      refused(final, `RETR ${path}`);
      assert.equal(data.length, 0);
      for (const verb of ["SIZE", "MDTM", "MLST", "STAT"]) refused(await control.command(`${verb} ${path}`), `${verb} ${path}`);
    }
  });

  test("cannot be written, appended, created or changed through", async () => {
    const control = await loggedIn();
    const before = await outsideSnapshot();
    for (const path of ["canary-link", "passwd-link", "bob-link/canary.txt", "bob-link/new.txt", "etc-link/evil.conf", "data-link/evil", "bob-link/dir/new"]) {
      for (const verb of ["STOR", "APPE"]) {
        const { final } = await control.transfer(`${verb} ${path}`, Buffer.from("overwritten!"));
        refused(final, `${verb} ${path}`);
      }
      for (const command of [`MKD ${path}`, `RMD ${path}`, `DELE ${path}`, `SITE CHMOD 777 ${path}`, `MFMT 20000101000000 ${path}`]) refused(await control.command(command), command);
    }
    const rest = await control.command("REST 3");
    assert.equal(rest.code, 350);
    refused((await control.transfer("STOR canary-link", Buffer.from("x"))).final, "REST + STOR through a link");
    assert.deepEqual(await outsideSnapshot(), before);
  });

  test("cannot be renamed into, out of or through", async () => {
    const control = await loggedIn();
    const before = await outsideSnapshot();
    await writeFile(join(home, "victim.txt"), "v");
    for (const target of ["bob-link/stolen.txt", "etc-link/stolen", "data-link/stolen", "bob-link/canary.txt"]) {
      assert.equal((await control.command("RNFR victim.txt")).code, 350);
      refused(await control.command(`RNTO ${target}`), `RNTO ${target}`);
    }
    for (const source of ["bob-link/canary.txt", "etc-link/passwd", "data-link/top-canary.txt"]) refused(await control.command(`RNFR ${source}`), `RNFR ${source}`);
    assert.equal(await readFile(join(home, "victim.txt"), "utf8"), "v");
    assert.deepEqual(await outsideSnapshot(), before);
  });

  test("bob's own session sees none of alice's files, and alice's links do not help her", async () => {
    const bob = await FtpControl.connect(server.ftpPort);
    sessions.adopt(bob);
    await bob.login("bob", PASSWORD);
    const names = (await bob.transfer("NLST")).data.toString().split("\r\n").filter(Boolean);
    assert.deepEqual(names.sort(), ["canary.txt", "dir"]);
    refused(await bob.command("SIZE ../alice/mine.txt"), "bob reading alice's file");
  });
});

describe("names no client may make, names planted in NFD, a file named as a folder", () => {
  test("a name of the server's temporary uploads is refused (553) for STOR, APPE, MKD and RNTO; nothing is made", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("MKD box")).code, 257);
    await writeFile(join(home, "box", "plain.txt"), "p");
    for (const name of ["box/.upload-0123456789abcdef", "box/.notes.upload-0123456789ab"]) {
      assert.equal((await control.transfer(`STOR ${name}`, Buffer.from("S".repeat(5000)))).final.code, 553, `STOR ${name}`);
      assert.equal((await control.transfer(`APPE ${name}`, Buffer.from("S"))).final.code, 553, `APPE ${name}`);
      assert.equal((await control.command(`MKD ${name}`)).code, 553, `MKD ${name}`);
      assert.equal((await control.command("RNFR box/plain.txt")).code, 350);
      assert.equal((await control.command(`RNTO ${name}`)).code, 553, `RNTO ${name}`);
    }
    assert.deepEqual(await readdir(join(home, "box")), ["plain.txt"]);
    assert.equal((await control.command("DELE box/plain.txt")).code, 250);
    assert.equal((await control.command("RMD box")).code, 250);
  });

  test("a file whose name is in NFD (planted from macOS, a backup) can be read, sized and deleted by the name listed", async () => {
    const control = await loggedIn();
    const nfd = "cafe\u0301.txt";
    await mkdir(join(home, "nfd"), { recursive: true });
    await writeFile(join(home, "nfd", nfd), "nfd\n");
    const listed = (await control.transfer("NLST nfd")).data.toString().split("\r\n").filter(Boolean);
    assert.deepEqual(listed.map((name) => name.replace(/^nfd\//, "")), [nfd]);
    const { data, final } = await control.transfer(`RETR nfd/${nfd}`);
    assert.equal(final.code, 226, final.lines.join(" | "));
    assert.equal(data.toString(), "nfd\n");
    assert.deepEqual([(await control.command(`SIZE nfd/${nfd}`)).text], ["4"]);
    assert.equal((await control.command(`DELE nfd/${nfd}`)).code, 250);
    assert.equal((await control.command("RMD nfd")).code, 250);
    // New names are still made in NFC: one name, one spelling.
    assert.equal((await control.transfer(`STOR ${nfd}`, Buffer.from("new"))).final.code, 226);
    assert.ok((await readdir(home)).includes("café.txt".normalize("NFC")));
    assert.ok(!(await readdir(home)).includes(nfd));
  });

  test("a path ending in '/' names a folder: RETR, SIZE, MDTM, DELE and STOR of a file so named are 550", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "secret.txt"), "secret");
    const retr = await control.transfer("RETR secret.txt/");
    assert.equal(retr.final.code, 550, retr.final.lines.join(" | "));
    assert.equal(retr.data.length, 0);
    for (const command of ["SIZE secret.txt/", "MDTM secret.txt/", "DELE secret.txt/"]) assert.equal((await control.command(command)).code, 550, command);
    assert.equal(Math.floor((await control.transfer("STOR fresh.txt/", Buffer.from("x"))).final.code / 100), 5);
    assert.ok(!(await readdir(home)).includes("fresh.txt"));
    assert.equal(await readFile(join(home, "secret.txt"), "utf8"), "secret");
    // A folder named so still works.
    assert.equal((await control.command("MKD made/")).code, 257);
    assert.equal((await control.command("CWD made/")).code, 250);
    assert.equal((await control.command("RMD /made/")).code, 250);
  });
});
