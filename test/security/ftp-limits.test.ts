/**
 * Limits on the FTP door: connections per address (shared with the other
 * services), the login and idle timeouts, the data-connection timeout, and
 * hostile bytes on the control connection (never a crash).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, sleep } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const open: FtpControl[] = [];
afterEach(() => {
  for (const control of open.splice(0)) control.close();
});

async function connect(server: FtpTestServer): Promise<FtpControl> {
  const control = await FtpControl.connect(server.ftpPort);
  open.push(control);
  return control;
}

function closedWithin(control: FtpControl, ms: number): Promise<boolean> {
  return Promise.race([control.closed.then(() => true), sleep(ms).then(() => false)]);
}

describe("connections per address", () => {
  let server: FtpTestServer;
  before(async () => {
    server = await startFtpServer({ limits: { connectionsPerIp: 3 } });
  });
  after(() => server.stop());

  test("the connection over limits.connectionsPerIp gets 421 and is closed; a freed slot can be used again", async () => {
    const held = [await connect(server), await connect(server), await connect(server)];
    const extra = await FtpControl.connect(server.ftpPort, "127.0.0.1", { greeting: false });
    open.push(extra);
    const refusal = await extra.read();
    assert.equal(refusal.code, 421);
    assert.match(refusal.text, /Too many connections/);
    assert.ok(await closedWithin(extra, 3000));
    // Another address is not affected.
    const other = await FtpControl.connect(server.ftpPort, "127.0.0.1", { localAddress: "127.0.0.9" });
    open.push(other);
    assert.equal((await other.command("NOOP")).code, 200);
    // The IRC door shares the count: a fourth connection there is refused too.
    const irc = net.connect({ port: server.server.irc.plain[0]!.port, host: "127.0.0.1" });
    irc.resume();
    const ircClosed = await new Promise<boolean>((resolve) => {
      irc.on("error", () => resolve(true));
      irc.once("close", () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    assert.ok(ircClosed, "the IRC door let a fourth connection from the same address in");
    held[0]!.close();
    await held[0]!.closed;
    await sleep(100);
    const again = await connect(server);
    assert.equal((await again.command("NOOP")).code, 200);
  });
});

describe("timeouts", () => {
  let server: FtpTestServer;
  before(async () => {
    // The login timeout leaves room for an argon2id check on a loaded 2-core machine (CI runs
    // two test files at once): the other tests here log in before they test anything.
    server = await startFtpServer({ ftp: { loginTimeoutSeconds: 2.5, idleTimeoutSeconds: 1.2, dataTimeoutSeconds: 0.8 }, limits: { connectionsPerIp: 64 } });
  });
  after(() => server.stop());

  /** Connects and sends `next()` every 150 ms, answered with one of `answers`, until the login timeout's 421 closes the session (2.5 s from its start). */
  async function keepBusyUntilLoginTimeout(next: () => string, answers: readonly number[]): Promise<void> {
    // Before connecting: the server's clock for the session starts after this one.
    const started = Date.now();
    const control = await connect(server);
    const keepBusy = setInterval(() => control.send(next()), 150);
    try {
      let reply = await control.read(5000);
      while (answers.includes(reply.code)) reply = await control.read(5000);
      assert.equal(reply.code, 421);
      assert.match(reply.text, /[Ll]ogin timed out/);
      assert.ok(await closedWithin(control, 3000));
      assert.ok(Date.now() - started >= 2400);
    } finally {
      clearInterval(keepBusy);
    }
  }

  test("no login within ftp.loginTimeoutSeconds: 421 and closed, even while sending commands", async () => {
    // Activity without logging in does not extend the login timeout.
    await keepBusyUntilLoginTimeout(() => "NOOP", [200]);
  });

  test("REIN and USER while logged in restart the login clock: a session older than ftp.loginTimeoutSeconds can log in again", async () => {
    const control = await connect(server);
    const connected = Date.now();
    await control.login(USER, PASSWORD);
    // Logged in past the login timeout; NOOPs keep the idle timeout away.
    while (Date.now() - connected < 3000) {
      await sleep(300);
      assert.equal((await control.command("NOOP")).code, 200);
    }
    assert.equal((await control.command("REIN")).code, 220);
    // Two sweeps of the timeout timer (every 0.3 s here) and no 421.
    assert.equal(await control.quiet(700), null);
    await control.login(USER, PASSWORD);
    assert.equal((await control.command(`USER ${USER}`)).code, 331);
    assert.equal(await control.quiet(700), null);
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 230);
  });

  test("REIN and USER without a login do not restart the login clock", async () => {
    let i = 0;
    await keepBusyUntilLoginTimeout(() => (i++ % 2 === 0 ? "REIN" : `USER ${USER}`), [220, 331]);
  });

  test("a half-closed session whose transfer never gets its data connection still ends: 425 after ftp.dataTimeoutSeconds, then 221", async () => {
    const control = await connect(server);
    await control.login(USER, PASSWORD);
    await control.passive();
    control.sendRaw("LIST\r\nQUIT\r\n");
    control.socket.end();
    assert.deepEqual([(await control.read(5000)).code, (await control.read(5000)).code], [425, 221]);
    assert.ok(await closedWithin(control, 3000));
  });

  test("idle after login for ftp.idleTimeoutSeconds: 421 and closed", async () => {
    const control = await connect(server);
    // The server's idle clock starts when PASS arrives, before its hash is checked and
    // the 230 is read here: measure from before the login, or a slow hash eats the margin.
    const started = Date.now();
    await control.login(USER, PASSWORD);
    const reply = await control.read(5000);
    assert.equal(reply.code, 421);
    assert.match(reply.text, /[Ii]dle/);
    assert.ok(await closedWithin(control, 3000));
    assert.ok(Date.now() - started >= 1000);
  });

  test("commands keep a logged-in session alive past the idle timeout", async () => {
    const control = await connect(server);
    await control.login(USER, PASSWORD);
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      assert.equal((await control.command("NOOP")).code, 200);
    }
  });

  test("a passive data connection that never comes: 425 after ftp.dataTimeoutSeconds, and the session goes on", async () => {
    const control = await connect(server);
    await control.login(USER, PASSWORD);
    await control.passive();
    control.send("LIST");
    const reply = await control.read(5000);
    assert.equal(reply.code, 425);
    assert.equal((await control.command("NOOP")).code, 200);
  });
});

describe("hostile bytes on the control connection", () => {
  let server: FtpTestServer;
  before(async () => {
    server = await startFtpServer({ limits: { connectionsPerIp: 64 } });
  });
  after(() => server.stop());

  test("binary garbage, lone CRs, invalid UTF-8 and NULs get error replies, never a crash", async () => {
    const control = await connect(server);
    await control.login(USER, PASSWORD);
    control.sendRaw(Buffer.from([0x00, 0x01, 0xfe, 0xff, 0xc3, 0x28, 0x0d, 0x0a]));
    control.sendRaw("CWD \u0000\r\n");
    control.sendRaw(Buffer.concat([Buffer.from("MKD "), Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), Buffer.from("\r\n")]));
    control.sendRaw("NOOP\rNOOP\n");
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await control.read()).code);
    assert.equal(codes.length, 5);
    assert.ok(codes.every((code) => code >= 200 && code < 600), codes.join(","));
    assert.equal((await control.command("PWD")).code, 257);
  });

  test("100 KB without a line end gets 500, and the connection keeps working", async () => {
    const control = await connect(server);
    control.sendRaw("USER ");
    control.sendRaw("a".repeat(100_000));
    const reply = await control.read();
    assert.equal(reply.code, 500);
    control.sendRaw("\r\n");
    assert.equal((await control.command("NOOP")).code, 200);
  });
});
