/**
 * FTPS data connections bound to their control connection: under PROT P a data
 * connection must resume the TLS session of the control connection that asked for
 * it (vsftpd's require_ssl_reuse, FileZilla Server's default). The passive port
 * only checks the peer's address, so without this another process at that address
 * (the same NAT, a shared host) that connects first, with a TLS handshake of its
 * own, would be given the victim's RETR or have its bytes stored by the victim's
 * STOR; a second account's own session, resumed on the victim's data port, is no
 * better. Real clients (lftp, curl) resume and work; `ftp.tlsRequireSessionReuse:
 * false` lets clients that cannot (Python's stock ftplib) work too.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { constants } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FtpControl, connectData, expectSuccess, readAll, run, secureData, type FtpReply, type TlsNarrowing } from "../support/ftp-client.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

const BOB = "bob";
const BOB_PASSWORD = "Bob-has-his-own-42-account";
const SECRET = "TOP SECRET payroll\n".repeat(200);
const INFO = 30;
const SCRIPTS = fileURLToPath(new URL("../support/ftplib/", import.meta.url));

const open: FtpControl[] = [];
afterEach(() => {
  for (const control of open.splice(0)) control.close();
});

/** TLS 1.2 without session tickets: sessions resume by id, as curl's do over TLS 1.2. */
const BY_SESSION_ID: TlsNarrowing = { maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_NO_TICKET };

/** Logged in over TLS with PBSZ 0, PROT P and TYPE I: ready for protected transfers. */
async function protectedSession(server: FtpTestServer, user = USER, password = PASSWORD, tlsOptions: TlsNarrowing = {}): Promise<FtpControl> {
  const control = await FtpControl.connect(server.ftpPort);
  open.push(control);
  await control.startTls("", tlsOptions);
  await control.login(user, password);
  assert.equal((await control.command("PBSZ 0")).code, 200);
  assert.equal((await control.command("PROT P")).code, 200);
  assert.equal((await control.command("TYPE I")).code, 200);
  return control;
}

interface Intrusion {
  /** What the intruder was sent on the data connection. */
  readonly received: Buffer;
  /** Whether its handshake resumed a session; null when it never completed. */
  readonly resumed: boolean | null;
  /** A session the server handed it (to come back with on the victim's next data connection); null when none. */
  readonly session: Buffer | null;
}

/**
 * Another process at the victim's address, on the data connection it grabbed: its own
 * TLS handshake (resuming `session` when given), then `upload` if any, reading all it
 * is sent until the connection closes.
 */
function intrude(socket: net.Socket, options: { session?: Buffer; upload?: Buffer; tls?: tls.ConnectionOptions } = {}): Promise<Intrusion> {
  return new Promise((resolve) => {
    const secured = tls.connect({ socket, rejectUnauthorized: false, ...options.tls, ...(options.session && { session: options.session }) });
    const chunks: Buffer[] = [];
    let resumed: boolean | null = null;
    let session: Buffer | null = null;
    secured.on("session", (handed: Buffer) => (session = handed));
    secured.on("error", () => {});
    secured.on("data", (chunk: Buffer) => chunks.push(chunk));
    secured.once("secureConnect", () => {
      resumed = secured.isSessionReused();
      if (options.upload) secured.end(options.upload);
    });
    const timer = setTimeout(() => secured.destroy(), 10_000);
    secured.once("close", () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), resumed, session });
    });
  });
}

/** EPSV, and an intruder at the same address connects to the port before the victim does. */
async function portGrabbed(victim: FtpControl): Promise<net.Socket> {
  return connectData(await victim.passive(), "127.0.0.1");
}

function refusalsLogged(server: FtpTestServer): number {
  return server.logs.filter((record) => record.level === INFO && record["address"] === "127.0.0.1" && /did not resume the control connection's TLS session/.test(record.msg)).length;
}

describe("by default, a protected data connection must resume its control connection's TLS session", () => {
  let server: FtpTestServer;
  let home: string;
  let local: string;
  before(async () => {
    server = await startFtpServer({}, [
      [USER, PASSWORD],
      [BOB, BOB_PASSWORD],
    ]);
    home = await server.home();
    await writeFile(join(home, "secret.txt"), SECRET);
    local = await mkdtemp(join(tmpdir(), "cmy-ftps-reuse-"));
  });
  after(async () => {
    await server.stop();
    await rm(local, { recursive: true, force: true });
  });

  test("RETR: an intruder's fresh handshake on the victim's data port gets nothing; the victim gets 522 and goes on", async () => {
    const victim = await protectedSession(server);
    const grabbed = await portGrabbed(victim);
    const logged = refusalsLogged(server);
    assert.equal((await victim.command("RETR secret.txt")).code, 150);
    const intruder = await intrude(grabbed);
    assert.equal(intruder.received.length, 0, `the intruder was sent ${intruder.received.length} bytes of the victim's file`);
    const final = await victim.read(10_000);
    assert.equal(final.code, 522, final.lines.join(" | "));
    assert.equal(refusalsLogged(server), logged + 1, "the refusal was not logged at info with the address");
    assert.ok(!server.logs.some((record) => JSON.stringify(record).includes("TOP SECRET")), "the file's content reached the log");
    // The victim's session is intact: its own data connection, resuming its session, gets the file.
    assert.equal((await victim.command("NOOP")).code, 200);
    const retry = await victim.transfer("RETR secret.txt", undefined, { tls: true });
    assert.equal(retry.final.code, 226, retry.final.lines.join(" | "));
    assert.equal(retry.data.toString(), SECRET);
    assert.equal(victim.lastDataResumed, true);
  });

  test("STOR: an intruder's fresh handshake on the victim's data port stores nothing; the victim gets 522", async () => {
    const victim = await protectedSession(server);
    const grabbed = await portGrabbed(victim);
    assert.equal((await victim.command("STOR invoice.pdf")).code, 150);
    await intrude(grabbed, { upload: Buffer.from("ATTACKER CONTENT") });
    const final = await victim.read(10_000);
    assert.equal(final.code, 522, final.lines.join(" | "));
    assert.equal((await victim.command("SIZE invoice.pdf")).code, 550, "a file was stored from the intruder's bytes");
    await assert.rejects(readFile(join(home, "invoice.pdf")), { code: "ENOENT" });
    // The victim's own upload then goes through.
    const retry = await victim.transfer("STOR invoice.pdf", Buffer.from("the real invoice"), { tls: true });
    assert.equal(retry.final.code, 226, retry.final.lines.join(" | "));
    assert.equal(await readFile(join(home, "invoice.pdf"), "utf8"), "the real invoice");
  });

  test("a refused intruder is handed no TLS session to come back with on the victim's next data connection", async () => {
    const victim = await protectedSession(server);
    for (const maxVersion of ["TLSv1.2", "TLSv1.3"] as const) {
      const grabbed = await portGrabbed(victim);
      assert.equal((await victim.command("RETR secret.txt")).code, 150);
      const intruder = await intrude(grabbed, { tls: { maxVersion } });
      assert.equal(intruder.received.length, 0, `${maxVersion}: the intruder was sent ${intruder.received.length} bytes`);
      assert.equal((await victim.read(10_000)).code, 522);
      assert.equal(intruder.session, null, `${maxVersion}: the refused handshake handed the intruder a session`);
    }
  });

  test("another logged-in user's own session, resumed on the victim's data port, is refused too", async () => {
    const bob = await protectedSession(server, BOB, BOB_PASSWORD);
    // Bob's session is a good one: his own data connections resume it.
    assert.equal((await bob.transfer("LIST", undefined, { tls: true })).final.code, 226);
    assert.equal(bob.lastDataResumed, true);
    assert.ok(bob.tlsSession, "the server issued no session ticket");
    const victim = await protectedSession(server);
    const grabbed = await portGrabbed(victim);
    assert.equal((await victim.command("RETR secret.txt")).code, 150);
    const intruder = await intrude(grabbed, { session: bob.tlsSession });
    assert.equal(intruder.received.length, 0, `bob was sent ${intruder.received.length} bytes of alice's file`);
    assert.notEqual(intruder.resumed, true, "bob's session was resumed on alice's data connection");
    const final = await victim.read(10_000);
    assert.equal(final.code, 522, final.lines.join(" | "));
  });

  test("the same over TLS 1.2 with sessions resumed by id: another user's session is refused, the user's own is taken", async () => {
    const bob = await protectedSession(server, BOB, BOB_PASSWORD, BY_SESSION_ID);
    assert.equal((await bob.transfer("LIST", undefined, { tls: true })).final.code, 226);
    assert.equal(bob.lastDataResumed, true, "bob's own data connection did not resume his session by id");
    const victim = await protectedSession(server, USER, PASSWORD, BY_SESSION_ID);
    const grabbed = await portGrabbed(victim);
    assert.equal((await victim.command("RETR secret.txt")).code, 150);
    const intruder = await intrude(grabbed, { session: bob.tlsSession, tls: BY_SESSION_ID });
    assert.equal(intruder.received.length, 0, `bob was sent ${intruder.received.length} bytes of alice's file`);
    assert.notEqual(intruder.resumed, true, "bob's session was resumed on alice's data connection");
    assert.equal((await victim.read(10_000)).code, 522);
    const own = await victim.transfer("RETR secret.txt", undefined, { tls: true });
    assert.equal(own.final.code, 226, own.final.lines.join(" | "));
    assert.equal(own.data.toString(), SECRET);
    assert.equal(victim.lastDataResumed, true);
  });

  test("lftp (ssl-force, ssl-protect-data): LIST, RETR and STOR over PROT P", async () => {
    await writeFile(join(local, "up-lftp.txt"), "from lftp\n");
    const logged = refusalsLogged(server);
    const settings = ["set ftp:ssl-force true", "set ftp:ssl-protect-data true", "set ssl:verify-certificate no", "set ftp:use-mlsd no", "set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 15"];
    const commands = ["cls -l", `get secret.txt -o ${join(local, "secret-lftp.txt")}`, `put ${join(local, "up-lftp.txt")} -o up-lftp.txt`];
    const result = await run("lftp", ["-u", `${USER},${PASSWORD}`, "-e", [...settings, ...commands, "quit"].join("; "), `ftp://127.0.0.1:${server.ftpPort}`], {
      timeoutMs: 45_000,
      env: { ...process.env, HOME: local },
    });
    expectSuccess(result, "lftp");
    assert.match(result.stdout, /secret\.txt/);
    assert.equal(await readFile(join(local, "secret-lftp.txt"), "utf8"), SECRET);
    assert.equal(await readFile(join(home, "up-lftp.txt"), "utf8"), "from lftp\n");
    assert.equal(refusalsLogged(server), logged, "a data connection of lftp was refused");
  });

  test("curl --ssl-reqd: LIST, RETR and STOR over PROT P", async () => {
    await writeFile(join(local, "up-curl.txt"), "from curl\n");
    const logged = refusalsLogged(server);
    const curl = (args: readonly string[]): ReturnType<typeof run> => run("curl", ["-sS", "--max-time", "30", "--ssl-reqd", "-k", "-u", `${USER}:${PASSWORD}`, ...args]);
    const base = `ftp://127.0.0.1:${server.ftpPort}/`;
    const list = await curl([base]);
    expectSuccess(list, "curl LIST");
    assert.match(list.stdout, /secret\.txt/);
    expectSuccess(await curl(["-o", join(local, "secret-curl.txt"), `${base}secret.txt`]), "curl RETR");
    assert.equal(await readFile(join(local, "secret-curl.txt"), "utf8"), SECRET);
    expectSuccess(await curl(["-T", join(local, "up-curl.txt"), `${base}up-curl.txt`]), "curl STOR");
    assert.equal(await readFile(join(home, "up-curl.txt"), "utf8"), "from curl\n");
    // Over TLS 1.2 curl resumes by session id, not by ticket.
    expectSuccess(await curl(["--tls-max", "1.2", "-o", join(local, "secret-curl12.txt"), `${base}secret.txt`]), "curl RETR over TLS 1.2");
    assert.equal(await readFile(join(local, "secret-curl12.txt"), "utf8"), SECRET);
    assert.equal(refusalsLogged(server), logged, "a data connection of curl was refused");
  });

  test("Python's stock ftplib.FTP_TLS, which never resumes, has its protected transfers refused", async () => {
    const logged = refusalsLogged(server);
    const result = await run("python3", [join(SCRIPTS, "tls-listings.py"), String(server.ftpPort), USER, PASSWORD, "secret.txt", "stock"], { timeoutMs: 60_000 });
    expectSuccess(result, "python3 tls-listings.py stock");
    const out = JSON.parse(result.stdout) as Record<string, { ok?: unknown; error?: string }>;
    // ftplib fails on the refused connection itself (the server closed it without close_notify), before it reads the 522.
    for (const [what, outcome] of Object.entries(out)) assert.ok(outcome.error !== undefined, `${what}: ${JSON.stringify(outcome)}`);
    assert.ok(refusalsLogged(server) > logged, "no refusal was logged");
  });
});

/** A protected transfer whose data connection makes a TLS session of its own, as clients that cannot resume do. */
async function transferWithoutResuming(control: FtpControl, command: string, upload?: Buffer): Promise<{ data: Buffer; resumed: boolean; final: FtpReply }> {
  const data = await connectData(await control.passive(), "127.0.0.1");
  const preliminary = await control.command(command);
  assert.equal(preliminary.code, 150, preliminary.lines.join(" | "));
  const secured = await secureData(data);
  const resumed = secured.isSessionReused();
  let received: Buffer = Buffer.alloc(0);
  if (upload) {
    const closed = new Promise((resolve) => secured.once("close", resolve));
    secured.end(upload);
    await closed;
  } else received = await readAll(secured);
  return { data: received, resumed, final: await control.read(10_000) };
}

describe("ftp.tlsRequireSessionReuse: false", () => {
  let server: FtpTestServer;
  let home: string;
  before(async () => {
    server = await startFtpServer({ ftp: { tlsRequireSessionReuse: false } });
    home = await server.home();
    await writeFile(join(home, "secret.txt"), SECRET);
  });
  after(() => server.stop());

  test("a client whose data connections do not resume works: RETR and STOR", async () => {
    const control = await protectedSession(server);
    const retr = await transferWithoutResuming(control, "RETR secret.txt");
    assert.equal(retr.resumed, false);
    assert.equal(retr.final.code, 226, retr.final.lines.join(" | "));
    assert.equal(retr.data.toString(), SECRET);
    const stor = await transferWithoutResuming(control, "STOR fresh.txt", Buffer.from("fresh session"));
    assert.equal(stor.final.code, 226, stor.final.lines.join(" | "));
    assert.equal(await readFile(join(home, "fresh.txt"), "utf8"), "fresh session");
  });

  test("Python's stock ftplib.FTP_TLS lists and retrieves", async () => {
    const result = await run("python3", [join(SCRIPTS, "tls-listings.py"), String(server.ftpPort), USER, PASSWORD, "secret.txt", "stock"], { timeoutMs: 60_000 });
    expectSuccess(result, "python3 tls-listings.py stock");
    const out = JSON.parse(result.stdout) as Record<string, { ok?: unknown; error?: string }>;
    assert.ok(Array.isArray(out.nlst?.ok) && out.nlst.ok.includes("secret.txt"), JSON.stringify(out.nlst));
    assert.equal(typeof out.list?.ok, "number", JSON.stringify(out.list));
    assert.deepEqual(out.retr, { ok: SECRET });
  });
});
