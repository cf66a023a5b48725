/**
 * curl against the real server: byte-for-byte round trips, APPE, resumed
 * downloads and uploads, --ftp-create-dirs, quote commands, UTF-8 names, FTPS
 * with PROT P, active mode, and IPv6 (EPSV, EPRT) over ::1.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { expectSuccess, run, sleep, type RunResult } from "../support/ftp-client.js";
import { PASSWORD, USER, hasIPv6Loopback, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const ipv6 = await hasIPv6Loopback();
const NO_V6 = { skip: ipv6 ? false : "this machine has no IPv6 loopback ::1" };

let server: FtpTestServer;
let home: string;
let local: string;
let port6 = 0;

before(async () => {
  server = await startFtpServer({ ftp: { listen: ipv6 ? ["127.0.0.1:0", "[::1]:0"] : ["127.0.0.1:0"] } });
  home = await server.home();
  port6 = server.server.ftp.find((a) => a.family === "IPv6")?.port ?? 0;
  local = await mkdtemp(join(tmpdir(), "cmy-curl-"));
});
after(async () => {
  await server.stop();
  await rm(local, { recursive: true, force: true });
});

function curl(args: readonly string[]): Promise<RunResult> {
  return run("curl", ["-sS", "--max-time", "30", "-u", `${USER}:${PASSWORD}`, ...args]);
}

const url = (path: string, host = "127.0.0.1", port = server.ftpPort): string => `ftp://${host.includes(":") ? `[${host}]` : host}:${port}/${path}`;

/** The commands curl sent (its -v lines starting with "> "). */
function sent(result: RunResult): string[] {
  return result.stderr
    .split("\n")
    .filter((line) => line.startsWith("> "))
    .map((line) => line.slice(2).trim());
}

async function roundTrip(name: string, content: Buffer, extra: readonly string[] = [], host?: string, port?: number): Promise<RunResult> {
  const source = join(local, `up-${name}`);
  const target = join(local, `down-${name}`);
  await writeFile(source, content);
  const up = await curl([...extra, "-T", source, url(name, host, port)]);
  expectSuccess(up, `upload ${name}`);
  assert.ok((await readFile(join(home, name))).equals(content), `${name}: stored bytes differ`);
  const down = await curl([...extra, "-o", target, url(name, host, port)]);
  expectSuccess(down, `download ${name}`);
  assert.ok((await readFile(target)).equals(content), `${name}: downloaded bytes differ`);
  return down;
}

describe("curl: round trips", () => {
  test("a random 3 MB file, byte for byte", async () => {
    await roundTrip("random.bin", randomBytes(3 * 1024 * 1024));
  });

  test("an empty file", async () => {
    await roundTrip("empty.bin", Buffer.alloc(0));
    assert.equal((await stat(join(home, "empty.bin"))).size, 0);
  });

  test("a 1-byte file", async () => {
    await roundTrip("one.bin", Buffer.from([0xff]));
  });

  test("bytes that TYPE A would change stay as they are (curl uses TYPE I)", async () => {
    await roundTrip("crlf.bin", Buffer.from("a\r\nb\nc\r\0\xff", "latin1"));
  });

  test("--use-ascii (TYPE A) downloads the file's lines as they are", async () => {
    await writeFile(join(home, "lines.txt"), "a\nb\nc\n");
    const target = join(local, "lines-ascii.txt");
    const result = await curl(["-v", "--use-ascii", "-o", target, url("lines.txt")]);
    expectSuccess(result, "ASCII download");
    assert.ok(sent(result).includes("TYPE A"), sent(result).join(" | "));
    assert.equal(await readFile(target, "utf8"), "a\nb\nc\n");
  });

  test("APPE (--append) adds to an existing file and creates a missing one", async () => {
    await writeFile(join(home, "log.txt"), "first\n");
    const part = join(local, "part.txt");
    await writeFile(part, "second\n");
    expectSuccess(await curl(["--append", "-T", part, url("log.txt")]), "append");
    assert.equal(await readFile(join(home, "log.txt"), "utf8"), "first\nsecond\n");
    expectSuccess(await curl(["--append", "-T", part, url("new-log.txt")]), "append to a new file");
    assert.equal(await readFile(join(home, "new-log.txt"), "utf8"), "second\n");
  });

  test("UTF-8 names up and down, and in the listing", async () => {
    const name = "été 日本 ✓.txt";
    const encoded = encodeURIComponent(name);
    const source = join(local, "utf8-source");
    await writeFile(source, "unicode");
    expectSuccess(await curl(["-T", source, url(encoded)]), "upload with a UTF-8 name");
    assert.equal(await readFile(join(home, name), "utf8"), "unicode");
    const target = join(local, "utf8-back");
    expectSuccess(await curl(["-o", target, url(encoded)]), "download with a UTF-8 name");
    assert.equal(await readFile(target, "utf8"), "unicode");
    const listing = await curl(["-l", url("")]);
    expectSuccess(listing, "NLST");
    assert.ok(listing.stdout.split(/\r?\n/).includes(name), listing.stdout);
  });
});

describe("curl: resuming", () => {
  test("an interrupted download resumes with -C - from the partial file", async () => {
    const content = randomBytes(2 * 1024 * 1024 + 17);
    await writeFile(join(home, "resume-down.bin"), content);
    const target = join(local, "resume-down.bin");
    await writeFile(target, content.subarray(0, 700_001));
    const result = await curl(["-v", "-C", "-", "-o", target, url("resume-down.bin")]);
    expectSuccess(result, "resumed download");
    assert.ok(sent(result).includes("REST 700001"), sent(result).join(" | "));
    assert.ok((await readFile(target)).equals(content));
  });

  test("--ftp-create-dirs makes the missing directories", async () => {
    const source = join(local, "deep.txt");
    await writeFile(source, "deep");
    expectSuccess(await curl(["--ftp-create-dirs", "-T", source, url("x/y/z/deep.txt")]), "upload with --ftp-create-dirs");
    assert.equal(await readFile(join(home, "x", "y", "z", "deep.txt"), "utf8"), "deep");
  });
});

describe("curl: quote commands", () => {
  test('-Q "-DELE x" deletes after the transfer', async () => {
    await writeFile(join(home, "doomed.txt"), "x");
    expectSuccess(await curl(["-Q", "-DELE doomed.txt", url("")]), "DELE");
    await assert.rejects(stat(join(home, "doomed.txt")));
  });

  test('-Q "RNFR a" -Q "RNTO b" renames', async () => {
    await writeFile(join(home, "before.txt"), "r");
    expectSuccess(await curl(["-Q", "RNFR before.txt", "-Q", "RNTO after.txt", url("")]), "rename");
    await assert.rejects(stat(join(home, "before.txt")));
    assert.equal(await readFile(join(home, "after.txt"), "utf8"), "r");
  });

  test("a refused quote command makes curl fail", async () => {
    const result = await curl(["-Q", "RNFR does-not-exist", "-Q", "RNTO x", url("")]);
    assert.notEqual(result.code, 0);
  });
});

describe("curl: FTPS, active mode, IPv6", () => {
  test("FTPS with --ssl-reqd (AUTH TLS, PBSZ 0, PROT P) round trip", async () => {
    const result = await roundTrip("tls.bin", randomBytes(1024 * 1024 + 3), ["-v", "--ssl-reqd", "-k"]);
    const commands = sent(result);
    // curl 7.x asks for AUTH SSL first (RFC 4217 allows it as a synonym), later versions AUTH TLS.
    assert.ok(commands.includes("AUTH SSL") || commands.includes("AUTH TLS"), commands.join(" | "));
    for (const command of ["PBSZ 0", "PROT P"]) assert.ok(commands.includes(command), `${command} missing: ${commands.join(" | ")}`);
    assert.ok(commands.indexOf("PROT P") < commands.indexOf("RETR tls.bin"));
  });

  test("active mode (--ftp-port 127.0.0.1): EPRT, and PORT with --disable-eprt", async () => {
    const eprt = await roundTrip("active.bin", randomBytes(300_000), ["-v", "--ftp-port", "127.0.0.1"]);
    assert.ok(sent(eprt).some((c) => c.startsWith("EPRT |1|127.0.0.1|")), sent(eprt).join(" | "));
    const port = await roundTrip("active-port.bin", randomBytes(300_000), ["-v", "--ftp-port", "127.0.0.1", "--disable-eprt"]);
    assert.ok(sent(port).some((c) => /^PORT 127,0,0,1,\d+,\d+$/.test(c)), sent(port).join(" | "));
  });

  // Active mode over FTPS is tested with lftp (ftp-lftp.test.ts): curl 7.88 (Debian 12) never
  // starts TLS on an actively accepted data connection ("sa_addr inet_ntop() failed", fixed in
  // curl 8.0: "ftp: active mode with SSL, add the filter"), so the server rightly refuses it.

  test("--disable-epsv over IPv4 uses PASV", async () => {
    const result = await roundTrip("pasv.bin", randomBytes(100_000), ["-v", "--disable-epsv"]);
    assert.ok(sent(result).includes("PASV"));
  });

  test("IPv6: ftp://[::1]:port/ uses EPSV", NO_V6, async () => {
    const result = await roundTrip("six.bin", randomBytes(500_000), ["-v"], "::1", port6);
    assert.ok(sent(result).includes("EPSV"));
  });

  test("IPv6: --ftp-port ::1 uses EPRT |2|::1|port|", NO_V6, async () => {
    const result = await roundTrip("six-active.bin", randomBytes(200_000), ["-v", "--ftp-port", "::1"], "::1", port6);
    assert.ok(sent(result).some((c) => c.startsWith("EPRT |2|::1|")), sent(result).join(" | "));
  });

  test("IPv6: --disable-epsv still works (curl keeps EPSV on IPv6; PASV would be refused)", NO_V6, async () => {
    const result = await roundTrip("six-noepsv.bin", randomBytes(100_000), ["-v", "--disable-epsv"], "::1", port6);
    assert.ok(sent(result).includes("EPSV"), sent(result).join(" | "));
  });

  test("IPv6 FTPS round trip", NO_V6, async () => {
    await roundTrip("six-tls.bin", randomBytes(200_000), ["--ssl-reqd", "-k"], "::1", port6);
  });
});

describe("curl: resuming an upload (files.interruptedUploads: keep)", () => {
  let keep: FtpTestServer;
  before(async () => {
    keep = await startFtpServer({ files: { interruptedUploads: "keep" } });
  });
  after(() => keep.stop());

  test("an upload cut off midway (curl killed) keeps its bytes, and curl -C - -T finishes it", async () => {
    const keepHome = await keep.home();
    const content = randomBytes(3 * 1024 * 1024);
    const source = join(local, "resume-up.bin");
    await writeFile(source, content);
    const target = `ftp://127.0.0.1:${keep.ftpPort}/resume-up.bin`;
    // Slowed down so it can be killed midway.
    const child = spawn("curl", ["-sS", "-u", `${USER}:${PASSWORD}`, "--limit-rate", "1M", "-T", source, target], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    let partial = 0;
    while (Date.now() < deadline) {
      partial = await stat(join(keepHome, "resume-up.bin")).then((s) => s.size, () => 0);
      if (partial >= 512 * 1024) break;
      await sleep(50);
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    await sleep(200);
    partial = (await stat(join(keepHome, "resume-up.bin"))).size;
    assert.ok(partial > 0 && partial < content.length, `partial size ${partial}`);
    assert.ok((await readFile(join(keepHome, "resume-up.bin"))).equals(content.subarray(0, partial)), "the kept bytes are the first bytes sent");

    const resumed = await run("curl", ["-sS", "-v", "--max-time", "30", "-u", `${USER}:${PASSWORD}`, "-C", "-", "-T", source, target]);
    expectSuccess(resumed, "resumed upload");
    assert.ok(sent(resumed).some((c) => c === "APPE resume-up.bin" || c.startsWith("REST ")), sent(resumed).join(" | "));
    assert.ok((await readFile(join(keepHome, "resume-up.bin"))).equals(content));
  });
});
