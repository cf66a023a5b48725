/**
 * lftp against the real server: a directory tree mirrored up (mirror -R) and back
 * (mirror), compared like `diff -r`, over plain FTP, over FTPS with protected data,
 * with LIST instead of MLSD, in active mode and over IPv6; modification times kept
 * (MFMT); and the everyday commands: cls -l, mv, rm, mkdir, rmdir, get -c, get -a.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { diffTrees, expectSuccess, run, type RunResult } from "../support/ftp-client.js";
import { PASSWORD, USER, hasIPv6Loopback, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const ipv6 = await hasIPv6Loopback();

let server: FtpTestServer;
let home: string;
let local: string;
let tree: string;
let port6 = 0;

const PLAIN = ["set ftp:ssl-allow no"];
const FTPS = ["set ftp:ssl-force yes", "set ftp:ssl-protect-data yes", "set ftp:ssl-protect-list yes", "set ssl:verify-certificate no"];
const OLD_TIME = new Date(Date.UTC(2019, 6, 14, 8, 30, 0));

before(async () => {
  server = await startFtpServer({ ftp: { listen: ipv6 ? ["127.0.0.1:0", "[::1]:0"] : ["127.0.0.1:0"] } });
  home = await server.home();
  port6 = server.server.ftp.find((a) => a.family === "IPv6")?.port ?? 0;
  local = await mkdtemp(join(tmpdir(), "cmy-lftp-"));
  await mkdir(join(local, "home"), { recursive: true });
  // The tree: nested and empty directories, a hidden directory, UTF-8 and spaced names,
  // an empty file, a binary file, and a file with an old modification time.
  tree = join(local, "tree");
  await mkdir(join(tree, "a", "b", "c"), { recursive: true });
  await mkdir(join(tree, "empty dir"), { recursive: true });
  await mkdir(join(tree, ".hidden", "inner"), { recursive: true });
  await mkdir(join(tree, "données"), { recursive: true });
  await writeFile(join(tree, "top.txt"), "top\n");
  await writeFile(join(tree, "empty.txt"), "");
  await writeFile(join(tree, "a", "one.txt"), "one\r\ntwo\n");
  await writeFile(join(tree, "a", "b", "c", "random.bin"), randomBytes(700_000));
  await writeFile(join(tree, ".hidden", "inner", "secret"), "s");
  await writeFile(join(tree, ".dotfile"), "dot");
  await writeFile(join(tree, "données", "résumé été.txt"), "utf-8");
  await utimes(join(tree, "top.txt"), OLD_TIME, OLD_TIME);
});
after(async () => {
  await server.stop();
  await rm(local, { recursive: true, force: true });
});

/** Runs lftp with its own HOME (no user settings), failing on the first failed command. */
function lftp(commands: readonly string[], options: { host?: string; port?: number } = {}): Promise<RunResult> {
  const host = options.host ?? "127.0.0.1";
  const target = `ftp://${host.includes(":") ? `[${host}]` : host}:${options.port ?? server.ftpPort}`;
  const script = [
    "set cmd:fail-exit yes",
    "set net:max-retries 1",
    "set net:timeout 15",
    "set net:reconnect-interval-base 1",
    "set xfer:clobber on",
    ...commands,
  ].join("; ");
  // HOME in the test's folder: no ~/.lftprc of the machine, and lftp's history and transfer log stay there.
  return run("lftp", ["-u", `${USER},${PASSWORD}`, "-e", `${script}; quit`, target], { timeoutMs: 45_000, cwd: local, env: { ...process.env, HOME: join(local, "home") } });
}

async function mirrorBothWays(name: string, settings: readonly string[], options: { host?: string; port?: number } = {}): Promise<void> {
  const back = join(local, `back-${name}`);
  const result = await lftp([...settings, `mirror -R ${tree} ${name}`, `mirror ${name} ${back}`], options);
  expectSuccess(result, `lftp mirror (${name})`);
  assert.deepEqual(await diffTrees(tree, join(home, name)), [], "the server's copy differs");
  assert.deepEqual(await diffTrees(tree, back), [], "the copy mirrored back differs");
  // Modification times survive both ways (MFMT up, MLSD/LIST modify down).
  assert.equal((await stat(join(home, name, "top.txt"))).mtime.getTime(), OLD_TIME.getTime());
  assert.equal((await stat(join(back, "top.txt"))).mtime.getTime(), OLD_TIME.getTime());
  // No upload leftovers anywhere.
  const leftovers = (await readdir(join(home, name), { recursive: true })).filter((entry) => String(entry).includes(".upload-"));
  assert.deepEqual(leftovers, []);
}

describe("lftp mirror", () => {
  test("mirror -R and mirror back over plain FTP: identical trees, subdirectories included", async () => {
    await mirrorBothWays("plain", PLAIN);
  });

  test("over FTPS (ssl-force, protected data)", async () => {
    await mirrorBothWays("ftps", FTPS);
  });

  test("with LIST instead of MLSD (ftp:use-mlsd off): hidden directories are not lost", async () => {
    await mirrorBothWays("list", [...PLAIN, "set ftp:use-mlsd no"]);
  });

  test("in active mode over FTPS (PORT, server connects, client is the TLS client)", async () => {
    await mirrorBothWays("active", [...FTPS, "set ftp:passive-mode off"]);
  });

  test("over IPv6 ([::1], EPSV)", { skip: ipv6 ? false : "this machine has no IPv6 loopback ::1" }, async () => {
    await mirrorBothWays("six", FTPS, { host: "::1", port: port6 });
  });

  test("mirror -R again uploads nothing new and changes nothing", async () => {
    const result = await lftp([...PLAIN, `mirror -R --verbose ${tree} plain`]);
    expectSuccess(result, "second mirror -R");
    assert.doesNotMatch(result.stdout, /Transferring file/);
    assert.deepEqual(await diffTrees(tree, join(home, "plain")), []);
  });
});

describe("lftp commands", () => {
  test("mkdir, cls -l, mv, rm, rmdir", async () => {
    await mkdir(join(home, "work"), { recursive: true });
    await writeFile(join(home, "work", "report.txt"), "12345");
    await writeFile(join(home, "work", "old name.txt"), "x");
    await utimes(join(home, "work", "report.txt"), OLD_TIME, OLD_TIME);
    const result = await lftp([
      ...PLAIN,
      "cd work",
      "mkdir made",
      "mkdir -p made/deeper/still",
      "cls -l",
      "mv 'old name.txt' 'new name.txt'",
      "mv report.txt made/report.txt",
      "rm made/report.txt",
      "rmdir made/deeper/still",
      "cls -1",
    ]);
    expectSuccess(result, "lftp commands");
    const lines = result.stdout.split("\n").filter(Boolean);
    const report = lines.find((line) => line.endsWith(" report.txt"));
    assert.ok(report, result.stdout);
    // From MLSD: type, UNIX.mode, size and modify (an old date shows its year).
    assert.match(report, /^-rw-r--r-- +5 Jul 14 +2019 report\.txt$/);
    assert.ok(lines.some((line) => /^drwx.* made\/$/.test(line)), result.stdout);
    // The last cls -1 shows the state after the changes.
    assert.deepEqual(lines.slice(-2).sort(), ["made/", "new name.txt"]);
    assert.deepEqual((await readdir(join(home, "work"))).sort(), ["made", "new name.txt"]);
    assert.deepEqual(await readdir(join(home, "work", "made")), ["deeper"]);
    assert.deepEqual(await readdir(join(home, "work", "made", "deeper")), []);
  });

  test("rm -r removes a tree with hidden files in it", async () => {
    await mkdir(join(home, "gone", ".git", "objects"), { recursive: true });
    await writeFile(join(home, "gone", ".git", "objects", "x"), "x");
    await writeFile(join(home, "gone", "file"), "f");
    for (const settings of [PLAIN, [...PLAIN, "set ftp:use-mlsd no"]]) {
      await mkdir(join(home, "gone", ".git", "objects"), { recursive: true });
      await writeFile(join(home, "gone", ".git", "objects", "x"), "x");
      expectSuccess(await lftp([...settings, "rm -r gone"]), "rm -r");
      await assert.rejects(stat(join(home, "gone")));
    }
  });

  test("get -c resumes a partial download: REST after PASV still applies (TYPE I, SIZE, MDTM, PASV, REST, RETR)", async () => {
    const content = randomBytes(300_000);
    await writeFile(join(home, "resume-me.bin"), content);
    // The partial copy is not the file's start: only a resumed RETR leaves it as it is.
    const partial = Buffer.alloc(100_000, 0);
    await writeFile(join(local, "resume-me.bin"), partial);
    expectSuccess(await lftp([...PLAIN, "get -c resume-me.bin"]), "lftp get -c");
    assert.ok((await readFile(join(local, "resume-me.bin"))).equals(Buffer.concat([partial, content.subarray(100_000)])));
  });

  test("get -a (TYPE A) gets the file's lines as they are", async () => {
    await writeFile(join(home, "lines.txt"), "a\nb\nc\n");
    expectSuccess(await lftp([...PLAIN, "get -a lines.txt -o lines-a.txt"]), "lftp get -a");
    assert.equal(await readFile(join(local, "lines-a.txt"), "utf8"), "a\nb\nc\n");
  });

  test("a refused command makes lftp fail (rmdir of a non-empty directory)", async () => {
    await mkdir(join(home, "full"), { recursive: true });
    await writeFile(join(home, "full", "f"), "f");
    const result = await lftp([...PLAIN, "rmdir full"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /550/);
  });
});
