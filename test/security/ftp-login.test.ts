/**
 * Logging in over FTP: the shared brute-force defence (back-off per account and
 * address pair, 421 and the door closed, the owner elsewhere unaffected), unknown users indistinguishable from wrong
 * passwords, anonymous access off by default and read-only when on, `ftp.tls:
 * required` without a trusted loopback, and AUTH TLS with clear-text commands
 * injected behind it (the STARTTLS injection of CVE-2011-0411).
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, sleep } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const open: FtpControl[] = [];
afterEach(() => {
  for (const control of open.splice(0)) control.close();
});

async function connect(server: FtpTestServer, host = "127.0.0.1"): Promise<FtpControl> {
  const control = await FtpControl.connect(server.ftpPort, "127.0.0.1", host === "127.0.0.1" ? {} : { localAddress: host });
  open.push(control);
  return control;
}

async function closesWithin(control: FtpControl, ms: number): Promise<boolean> {
  return Promise.race([control.closed.then(() => true), sleep(ms).then(() => false)]);
}

describe("brute-force defence", () => {
  let server: FtpTestServer;
  before(async () => {
    // Real back-off: a second failure within 2 s of the first is throttled.
    server = await startFtpServer({ auth: { bruteForce: { backoffBaseSeconds: 2, backoffMaxSeconds: 4 } } }, [
      [USER, PASSWORD],
      ["carol", PASSWORD],
    ]);
  });
  after(() => server.stop());

  test("repeated wrong PASS: 530 (the first costs nothing), then 421 and the connection is closed; the right password is throttled too, from that address only", async () => {
    const control = await connect(server, "127.0.0.3");
    assert.equal((await control.command("USER carol")).code, 331);
    assert.equal((await control.command("PASS wrong-1")).code, 530);
    assert.equal((await control.command("USER carol")).code, 331);
    assert.equal((await control.command("PASS wrong-2")).code, 530, "one typo does not throttle");
    assert.equal((await control.command("USER carol")).code, 331);
    const throttled = await control.command("PASS wrong-3");
    assert.equal(throttled.code, 421);
    assert.match(throttled.text, /try again in 2 seconds$/);
    assert.ok(await closesWithin(control, 3000), "the connection stayed open");
    // Another connection from the same address, with the right password, right away: still throttled.
    const again = await connect(server, "127.0.0.3");
    await again.command("USER carol");
    assert.equal((await again.command(`PASS ${PASSWORD}`)).code, 421);
    // An attacker elsewhere never locks the owner out: from another address the right password works at once.
    const owner = await connect(server, "127.0.0.4");
    await owner.command("USER carol");
    assert.equal((await owner.command(`PASS ${PASSWORD}`)).code, 230);
    assert.ok(server.logs.some((record) => record.msg === "login failed" && record["service"] === "ftp" && record["address"] === "127.0.0.3"));
  });
});

describe("login answers", () => {
  let server: FtpTestServer;
  before(async () => {
    server = await startFtpServer({ ftp: { maxLoginAttempts: 3 } });
  });
  after(() => server.stop());

  test("an unknown user and a wrong password look the same", async () => {
    const unknown = await connect(server, "127.0.0.5");
    const known = await connect(server, "127.0.0.6");
    const u1 = await unknown.command("USER nobody-here");
    const k1 = await known.command(`USER ${USER}`);
    assert.deepEqual([u1.code, u1.text.replace("nobody-here", "X")], [k1.code, k1.text.replace(USER, "X")]);
    const u2 = await unknown.command("PASS guess");
    const k2 = await known.command("PASS guess");
    assert.deepEqual([u2.code, u2.text], [530, "Login incorrect"]);
    assert.deepEqual([k2.code, k2.text], [530, "Login incorrect"]);
  });

  test("after ftp.maxLoginAttempts failures the connection is closed", async () => {
    const control = await connect(server, "127.0.0.7");
    await sleep(50); // the account's back-off from the test before
    for (let i = 0; i < 3; i++) {
      await control.command(`USER ${USER}`);
      const r = await control.command(`PASS wrong-${i}`); assert.equal(r.code, 530, `${i} ${r.text}`);
      await sleep(30); // past the (test-short) back-off
    }
    assert.ok(await closesWithin(control, 3000));
  });

  test("anonymous is off by default: USER anonymous ends in 530", async () => {
    const control = await connect(server, "127.0.0.8");
    assert.equal((await control.command("USER anonymous")).code, 331);
    assert.equal((await control.command("PASS guest@example.org")).code, 530);
    await sleep(50); // past the (test-short) back-off
    await control.command("USER ftp");
    assert.equal((await control.command("PASS x")).code, 530);
  });

  test("a correct login, and a second USER logs out first", async () => {
    const control = await connect(server);
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("PWD")).code, 257);
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 503);
    assert.equal((await control.command("USER someone")).code, 331);
    assert.equal((await control.command("PWD")).code, 530);
  });
});

describe("anonymous access when enabled", () => {
  let server: FtpTestServer;
  let publicDir: string;
  before(async () => {
    server = await startFtpServer({ ftp: { anonymous: true }, limits: { connectionsPerIp: 64 } });
    publicDir = join(server.dataDir, "public");
    await mkdir(join(publicDir, "docs"), { recursive: true });
    await writeFile(join(publicDir, "docs", "readme.txt"), "public words");
    await writeFile(join(await server.home(), "private.txt"), "alice only");
  });
  after(() => server.stop());

  async function anonymous(): Promise<FtpControl> {
    const control = await connect(server);
    assert.equal((await control.command("USER anonymous")).code, 331);
    assert.equal((await control.command("PASS guest@example.org")).code, 230);
    return control;
  }

  test("RETR and listings of <dataDir>/public work", async () => {
    const control = await anonymous();
    const { data, final } = await control.transfer("RETR docs/readme.txt");
    assert.equal(final.code, 226);
    assert.equal(data.toString(), "public words");
    assert.ok((await control.transfer("NLST docs")).data.toString().includes("readme.txt"));
    assert.match((await control.command("MLST docs/readme.txt")).lines[1]!, /perm=r;/);
  });

  test("every change is refused with 550, and nothing changes on disk", async () => {
    const control = await anonymous();
    for (const verb of ["STOR", "APPE", "STOU"]) {
      const { final } = await control.transfer(`${verb} new.txt`, Buffer.from("x"));
      assert.equal(final.code, 550, `${verb}: ${final.lines.join(" | ")}`);
    }
    for (const command of ["DELE docs/readme.txt", "MKD newdir", "RMD docs", "SITE CHMOD 777 docs/readme.txt", "MFMT 20000101000000 docs/readme.txt", "SITE UTIME 20000101000000 docs/readme.txt"]) {
      assert.equal((await control.command(command)).code, 550, command);
    }
    assert.equal((await control.command("RNFR docs/readme.txt")).code, 350);
    assert.equal((await control.command("RNTO docs/stolen.txt")).code, 550);
    assert.deepEqual(await readdir(publicDir), ["docs"]);
    assert.deepEqual(await readdir(join(publicDir, "docs")), ["readme.txt"]);
    assert.equal(await readFile(join(publicDir, "docs", "readme.txt"), "utf8"), "public words");
  });

  test("anonymous users stay in the public folder", async () => {
    const control = await anonymous();
    for (const path of ["../files/alice/private.txt", "/../files/alice/private.txt", "../cmymessage.db"]) {
      const { data, final } = await control.transfer(`RETR ${path}`);
      assert.equal(final.code, 550);
      assert.equal(data.length, 0);
    }
  });

  test("accounts still log in to their own space", async () => {
    const control = await connect(server);
    await control.login(USER, PASSWORD);
    assert.equal((await control.transfer("RETR private.txt")).data.toString(), "alice only");
  });
});

describe("ftp.tls: required, loopback not trusted", () => {
  let server: FtpTestServer;
  before(async () => {
    server = await startFtpServer({ ftp: { tls: "required", trustLoopback: false }, limits: { connectionsPerIp: 64 } });
    await writeFile(join(await server.home(), "keep-me.txt"), "k");
  });
  after(() => server.stop());

  test("USER and PASS before AUTH TLS get 530 with a clear message", async () => {
    const control = await connect(server);
    const user = await control.command(`USER ${USER}`);
    assert.equal(user.code, 530);
    assert.match(user.text, /TLS is required.*AUTH TLS/);
    const pass = await control.command(`PASS ${PASSWORD}`);
    assert.equal(pass.code, 530);
    assert.match(pass.text, /TLS/);
    assert.equal((await control.command("PWD")).code, 530);
    // Protection commands need TLS first.
    assert.equal((await control.command("PBSZ 0")).code, 503);
    assert.equal((await control.command("PROT P")).code, 503);
  });

  test("after AUTH TLS, login works; PROT needs PBSZ; data is protected with PROT P", async () => {
    const control = await connect(server);
    await control.startTls();
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("PROT P")).code, 503);
    assert.equal((await control.command("PBSZ 0")).code, 200);
    assert.equal((await control.command("PROT X")).code, 536);
    assert.equal((await control.command("PROT P")).code, 200);
    assert.equal((await control.command("AUTH TLS")).code, 503);
    const { data, final } = await control.transfer("RETR keep-me.txt", undefined, { tls: true });
    assert.equal(final.code, 226);
    assert.equal(data.toString(), "k");
    const status = await control.command("STAT");
    assert.ok(status.lines.some((line) => line.includes("protected by TLS")));
    // RFC 4217 §10: the data connections resume the control connection's TLS session.
    assert.ok(control.tlsSession, "the server issued no session ticket");
    assert.equal(control.lastDataResumed, true, "the data connection did not resume the control connection's session");
  });

  test("data in clear beside a TLS login is refused: PROT C gets 534, and a transfer without PROT P gets 521 before any byte", async () => {
    const control = await connect(server);
    await control.startTls();
    await control.login(USER, PASSWORD);
    const retr = await control.transfer("RETR keep-me.txt");
    assert.equal(retr.final.code, 521, retr.final.lines.join(" | "));
    assert.equal(retr.data.length, 0);
    assert.equal((await control.command("PBSZ 0")).code, 200);
    assert.equal((await control.command("PROT C")).code, 534);
    assert.equal((await control.transfer("LIST")).final.code, 521);
    assert.equal((await control.command("PROT P")).code, 200);
    assert.equal((await control.transfer("RETR keep-me.txt", undefined, { tls: true })).data.toString(), "k");
  });

  test("AUTH TLS with clear-text commands in the same packet: they are never run (STARTTLS injection)", async () => {
    const control = await connect(server);
    await control.startTls(`USER ${USER}\r\nPASS ${PASSWORD}\r\nDELE keep-me.txt\r\n`);
    // Over TLS now: nothing was answered for the injected lines, nobody is logged in, nothing was deleted.
    assert.equal(await control.quiet(300), null);
    assert.equal(control.replies.length, 2); // 220 and 234
    assert.equal((await control.command("PWD")).code, 530);
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 503);
    assert.ok((await stat(join(await server.home(), "keep-me.txt"))).isFile());
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("SIZE keep-me.txt")).text, "1");
  });

  test("with ftp.tls: off there is no AUTH TLS and FEAT does not offer it", async () => {
    const plain = await startFtpServer({ ftp: { tls: "off" } });
    try {
      const control = await connect(plain);
      assert.equal((await control.command("AUTH TLS")).code, 502);
      const feat = await control.command("FEAT");
      assert.ok(!feat.lines.some((line) => /AUTH|PBSZ|PROT/.test(line)));
      await control.login(USER, PASSWORD);
    } finally {
      await plain.stop();
    }
  });
});
