/**
 * FTP details where the RFCs and the servers clients are written against (vsftpd, ProFTPD)
 * agree, spoken raw and through curl: NLST names a client can RETR (a folder's names
 * prefixed with the folder asked for), `*` and `?` in LIST and NLST, AUTH TLS after a
 * login asking for a new one (RFC 2228 §3), REIN letting a transfer finish and resetting
 * every parameter (RFC 959), and a name too long for the file system refused before the
 * data connection, as MKD refuses it.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, connectData, expectSuccess, run, startUpload } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient } from "../support/http-client.js";

let server: FtpTestServer;
let home: string;
const open: FtpControl[] = [];

before(async () => {
  server = await startFtpServer({ limits: { connectionsPerIp: 64 }, ftp: { maxCommandBytes: 8192 } });
  home = await server.home();
});
afterEach(() => {
  for (const control of open.splice(0)) control.close();
});
after(() => server.stop());

async function connect(): Promise<FtpControl> {
  const control = await FtpControl.connect(server.ftpPort);
  open.push(control);
  return control;
}

async function loggedIn(): Promise<FtpControl> {
  const control = await connect();
  await control.login(USER, PASSWORD);
  return control;
}

/** The lines a listing sent, in the order sent; fails unless it ended with 226. */
async function listed(control: FtpControl, command: string): Promise<string[]> {
  const { data, final } = await control.transfer(command);
  assert.equal(final.code, 226, `${command}: ${final.lines.join(" | ")}`);
  return data.toString().split("\r\n").filter(Boolean);
}

/** The name at the end of each `ls -l` line. */
const listedNames = (lines: readonly string[]): string[] => lines.map((line) => line.trim().split(/ +/).slice(8).join(" "));

describe("NLST and LIST: names a client can use, wildcards", () => {
  before(async () => {
    const g = join(home, "g");
    await mkdir(join(g, "docs", "sub"), { recursive: true });
    for (const name of ["a.txt", "b.txt", "c.md", ".hidden.txt"]) await writeFile(join(g, "docs", name), `docs/${name}`);
    for (const name of ["x.txt", "y.txt", "notes.md"]) await writeFile(join(g, name), name);
  });

  async function inG(): Promise<FtpControl> {
    const control = await loggedIn();
    assert.equal((await control.command("CWD /g")).code, 250);
    return control;
  }

  test("NLST of a folder names each entry with the folder as given, so RETR of every name works (as vsftpd)", async () => {
    const control = await inG();
    await control.command("TYPE I");
    const names = await listed(control, "NLST docs");
    assert.deepEqual(names, ["docs/.hidden.txt", "docs/a.txt", "docs/b.txt", "docs/c.md", "docs/sub"]);
    for (const name of names.filter((n) => !n.endsWith("/sub"))) {
      const { data, final } = await control.transfer(`RETR ${name}`);
      assert.equal(final.code, 226, `RETR ${name}: ${final.lines.join(" | ")}`);
      assert.equal(data.toString(), name);
    }
    assert.deepEqual(await listed(control, "NLST docs/"), ["docs/.hidden.txt", "docs/a.txt", "docs/b.txt", "docs/c.md", "docs/sub"]);
    assert.deepEqual(await listed(control, "NLST /g/docs/a.txt"), ["/g/docs/a.txt"]);
    // The current folder, however named: the names alone, as they are already usable.
    for (const command of ["NLST", "NLST .", "NLST /g", "NLST -a"]) assert.deepEqual(await listed(control, command), ["docs", "notes.md", "x.txt", "y.txt"], command);
    // LIST shows names only, whatever was asked (vsftpd prefixes NLST's alone).
    assert.deepEqual(listedNames(await listed(control, "LIST docs")), [".hidden.txt", "a.txt", "b.txt", "c.md", "sub"]);
  });

  test("`*` and `?` in the last part of the path are expanded by NLST and LIST; `*` does not match a leading dot", async () => {
    const control = await inG();
    assert.deepEqual(await listed(control, "NLST *.txt"), ["x.txt", "y.txt"]);
    assert.deepEqual(listedNames(await listed(control, "LIST *.txt")), ["x.txt", "y.txt"]);
    assert.deepEqual(listedNames(await listed(control, "LIST -la *.txt")), ["x.txt", "y.txt"]);
    assert.deepEqual(await listed(control, "NLST docs/*"), ["docs/a.txt", "docs/b.txt", "docs/c.md", "docs/sub"]);
    assert.deepEqual(await listed(control, "NLST docs/.*"), ["docs/.hidden.txt"]);
    assert.deepEqual(await listed(control, "NLST docs/?.txt"), ["docs/a.txt", "docs/b.txt"]);
    assert.deepEqual(await listed(control, "NLST /g/docs/*.m?"), ["/g/docs/c.md"]);
    assert.deepEqual(listedNames(await listed(control, "LIST docs/*.md")), ["c.md"]);
    // A folder matched is shown as an entry, not opened (as vsftpd's filter does).
    assert.deepEqual(await listed(control, "NLST d*"), ["docs"]);
    const stat = await control.command("STAT docs/*.txt");
    assert.equal(stat.code, 213);
    assert.deepEqual(listedNames(stat.lines.slice(1, -1)), ["a.txt", "b.txt"]);
  });

  test("a pattern that matches nothing lists nothing (226, as vsftpd); a folder part that is not there is 550", async () => {
    const control = await inG();
    assert.deepEqual(await listed(control, "NLST *.nothing"), []);
    assert.deepEqual(await listed(control, "LIST docs/*.nothing"), []);
    for (const command of ["NLST nope/*", "LIST x.txt/*", "NLST nothing-here"]) {
      const { final } = await control.transfer(command);
      assert.equal(final.code, 550, `${command}: ${final.lines.join(" | ")}`);
    }
  });

  test("MLSD takes a folder, never a pattern (RFC 3659 §7)", async () => {
    const control = await inG();
    const { final } = await control.transfer("MLSD *.txt");
    assert.equal(final.code, 550, final.lines.join(" | "));
  });

  test("the folder part stays in the jail: a pattern above the root lists the root", async () => {
    const control = await inG();
    const root = await listed(control, "NLST /");
    const climbed = await listed(control, "NLST ../../../*");
    assert.deepEqual(
      climbed.map((name) => name.replace(/^\.\.\/\.\.\/\.\.\//, "")),
      root.map((name) => name.replace(/^\//, "")).filter((name) => !name.startsWith(".")),
    );
  });

  test("curl: NLST with a pattern (as mget sends it) gives names it can fetch", async () => {
    const auth = ["-sS", "--max-time", "30", "-u", `${USER}:${PASSWORD}`];
    const base = `ftp://127.0.0.1:${server.ftpPort}/g/`;
    const listing = await run("curl", [...auth, "-l", "-X", "NLST docs/*.txt", base]);
    expectSuccess(listing, "curl NLST docs/*.txt");
    const names = listing.stdout.split(/\r?\n/).filter(Boolean);
    assert.deepEqual(names, ["docs/a.txt", "docs/b.txt"]);
    for (const name of names) {
      const fetched = await run("curl", [...auth, `${base}${name}`]);
      expectSuccess(fetched, `curl ${name}`);
      assert.equal(fetched.stdout, name);
    }
  });
});

describe("AUTH TLS after a login (RFC 2228 §3): the user logs in again", () => {
  test("a clear-text login is ended by AUTH TLS: 530 until USER and PASS again, then a fresh session's defaults", async () => {
    await mkdir(join(home, "auth-dir"), { recursive: true });
    const control = await loggedIn();
    assert.equal((await control.command("CWD auth-dir")).code, 250);
    assert.equal((await control.command("TYPE I")).code, 200);
    assert.equal((await control.command("OPTS MLST type;")).code, 200);
    await control.startTls();
    assert.equal((await control.command("PWD")).code, 530);
    assert.equal((await control.command("MKD after-auth")).code, 530);
    await control.login(USER, PASSWORD);
    assert.match((await control.command("PWD")).text, /^"\/"/);
    const status = await control.command("STAT");
    assert.ok(status.lines.some((line) => line.includes("TYPE: ASCII")), status.lines.join(" | "));
    assert.ok(status.lines.some((line) => line.includes(`Logged in as ${USER}`)), status.lines.join(" | "));
    assert.match((await control.command("MLST /")).lines[1] ?? "", /modify=/);
  });

  test("a USER given before AUTH TLS is forgotten: PASS after it is 503", async () => {
    const control = await connect();
    assert.equal((await control.command(`USER ${USER}`)).code, 331);
    await control.startTls();
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 503);
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("PWD")).code, 257);
  });
});

describe("REIN (RFC 959): a transfer in progress completes, then every parameter is reset", () => {
  test("REIN during an upload: the upload finishes (226, the file whole), then 220, and the session is logged out", async () => {
    const control = await loggedIn();
    await control.command("TYPE I");
    const upload = await startUpload(control, "STOR rein-upload.bin");
    const first = Buffer.alloc(256 * 1024, 1);
    const rest = Buffer.alloc(256 * 1024, 2);
    upload.data.write(first);
    control.send("REIN");
    // REIN waits for the upload: nothing is answered while its data connection is open.
    assert.equal(await control.quiet(300), null);
    upload.data.end(rest);
    assert.deepEqual([(await control.read(10_000)).code, (await control.read(10_000)).code], [226, 220]);
    assert.ok((await readFile(join(home, "rein-upload.bin"))).equals(Buffer.concat([first, rest])));
    assert.equal((await control.command("PWD")).code, 530);
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("SIZE rein-upload.bin")).text, String(first.length + rest.length));
  });

  test("REIN during a download: the file is sent whole (226), then 220", async () => {
    const content = Buffer.alloc(16 * 1024 * 1024, 3);
    await writeFile(join(home, "rein-download.bin"), content);
    const control = await loggedIn();
    await control.command("TYPE I");
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    // Not read yet: the download stalls on back-pressure, still in progress when REIN comes.
    data.pause();
    const chunks: Buffer[] = [];
    data.on("data", (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise((resolve) => data.once("close", resolve));
    assert.equal((await control.command("RETR rein-download.bin")).code, 150);
    control.send("REIN");
    assert.equal(await control.quiet(300), null);
    data.resume();
    assert.deepEqual([(await control.read(10_000)).code, (await control.read(10_000)).code], [226, 220]);
    await closed;
    assert.ok(Buffer.concat(chunks).equals(content));
  });

  test("ABOR after a REIN that waits for a transfer still cuts it: 426, 226, then REIN's 220", async () => {
    await writeFile(join(home, "rein-abor.bin"), Buffer.alloc(32 * 1024 * 1024, 4));
    const control = await loggedIn();
    await control.command("TYPE I");
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    // Never read: without ABOR the download would stall until ftp.dataTimeoutSeconds.
    data.pause();
    assert.equal((await control.command("RETR rein-abor.bin")).code, 150);
    control.send("REIN");
    control.send("ABOR");
    assert.deepEqual([(await control.read()).code, (await control.read()).code, (await control.read()).code], [426, 226, 220]);
    data.destroy();
    assert.equal((await control.command("PWD")).code, 530);
  });

  test("after REIN every parameter is a new session's: TYPE, PBSZ and PROT, OPTS MLST, EPSV ALL, the folder, RNFR", async () => {
    await mkdir(join(home, "rein-dir"), { recursive: true });
    await writeFile(join(home, "rein-dir", "from.txt"), "f");
    const control = await connect();
    await control.startTls();
    await control.login(USER, PASSWORD);
    for (const command of ["PBSZ 0", "PROT P", "TYPE I", "OPTS MLST type;", "CWD rein-dir", "EPSV ALL"]) {
      const reply = await control.command(command);
      assert.ok(reply.code >= 200 && reply.code < 300, `${command}: ${reply.lines.join(" | ")}`);
    }
    assert.equal((await control.command("RNFR from.txt")).code, 350);
    assert.equal((await control.command("REIN")).code, 220);
    await control.login(USER, PASSWORD);
    const status = await control.command("STAT");
    assert.ok(status.lines.some((line) => line.includes("TYPE: ASCII")), status.lines.join(" | "));
    assert.ok(status.lines.some((line) => line.includes("data in clear text")), status.lines.join(" | "));
    // PBSZ is needed again before PROT.
    assert.equal((await control.command("PROT P")).code, 503);
    assert.match((await control.command("MLST /")).lines[1] ?? "", /modify=/);
    const feat = await control.command("FEAT");
    assert.ok(feat.lines.some((line) => /MLST type\*;size\*;modify\*;/.test(line)), feat.lines.join(" | "));
    assert.match((await control.command("PWD")).text, /^"\/"/);
    assert.equal((await control.command("RNTO rein-dir/to.txt")).code, 503);
    assert.equal((await control.command("PASV")).code, 227);
  });
});

describe("a name longer than the file system takes", () => {
  const long = "n".repeat(256);

  test("STOR, APPE and STOU of a name over 255 bytes get 553 before the data connection is used, as MKD does", async () => {
    const control = await loggedIn();
    assert.equal((await control.command(`MKD ${long}`)).code, 553);
    // Two-byte characters: 128 of them are 256 bytes.
    const wide = "é".repeat(128);
    for (const command of [`STOR ${long}`, `APPE ${long}`, `STOR ${wide}`, `STOU ${"u".repeat(250)}`]) {
      const port = await control.passive();
      const data = await connectData(port, "127.0.0.1");
      const reply = await control.command(command);
      data.destroy();
      assert.equal(reply.code, 553, `${command.slice(0, 12)}…: ${reply.lines.join(" | ")}`);
    }
    // 255 bytes is still a name.
    const { final } = await control.transfer(`STOR ${"n".repeat(255)}`, Buffer.from("fits"));
    assert.equal(final.code, 226, final.lines.join(" | "));
    assert.ok(!(await readdir(home)).includes(long));
  });

  test("STOR of a path over 4,095 bytes gets 553 before the data connection is used", async () => {
    const control = await loggedIn();
    const deep = Array.from({ length: 20 }, () => "d".repeat(250)).join("/");
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    const reply = await control.command(`STOR ${deep}`);
    data.destroy();
    assert.equal(reply.code, 553, reply.lines.join(" | "));
  });
});

describe("HTTP upload of a name over 255 bytes", () => {
  let http: TestServer;
  let token: string;

  before(async () => {
    http = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    token = (await ApiClient.forPort(http.httpPort).register("alice")).tokens.accessToken;
  });
  after(() => http.stop());

  test("is refused (400 invalid-path) before its body is read", async () => {
    const socket = net.connect({ port: http.httpPort, host: "127.0.0.1" });
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    let received = "";
    socket.setEncoding("latin1");
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer while the body was withheld")), 10_000);
      socket.on("data", (chunk: string) => {
        received += chunk;
        if (!received.includes("\r\n\r\n")) return;
        clearTimeout(timer);
        resolve();
      });
    });
    // The body is declared and never sent: only a refusal before it can answer.
    socket.write(`PUT /api/v1/files/content?path=%2F${"n".repeat(256)} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n`);
    await answered;
    socket.destroy();
    assert.match(received, /^HTTP\/1\.1 400 /, received);
    assert.match(received, /invalid-path/);
  });
});
