/**
 * The FTP control connection at its edges, spoken raw: reply codes where RFC 959
 * puts them, multi-line replies, data-connection setup over IPv4 and IPv6,
 * REST, ABOR, REIN, pipelining, an over-long line, UTF-8, SITE and STOU, and
 * the client closing its side of the control connection.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, readdir, readFile, readlink, realpath, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, connectData, readAll } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, hasIPv6Loopback, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";
import { waitFor, within } from "../support/wait.js";

const ipv6 = await hasIPv6Loopback();
const NO_V6 = { skip: ipv6 ? false : "this machine has no IPv6 loopback ::1" };
const LISTEN = ipv6 ? ["127.0.0.1:0", "[::1]:0"] : ["127.0.0.1:0"];

let server: FtpTestServer;
let home: string;
let port6 = 0;
const sessions = new FtpSessions();

before(async () => {
  server = await startFtpServer({ ftp: { listen: LISTEN }, limits: { connectionsPerIp: 64 } });
  home = await server.home();
  port6 = server.server.ftp.find((a) => a.family === "IPv6")?.port ?? 0;
});
afterEach(() => {
  sessions.closeAll();
});
after(() => server.stop());

function connect(host = "127.0.0.1"): Promise<FtpControl> {
  return sessions.connect(host === "::1" ? port6 : server.ftpPort, host);
}

function loggedIn(host = "127.0.0.1"): Promise<FtpControl> {
  return sessions.loggedIn(host === "::1" ? port6 : server.ftpPort, { host });
}


/** "refused" when nothing listens on the port any more; else what a connection there received before it closed. */
function passivePortAnswer(port: number): Promise<"refused" | Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === "ECONNREFUSED" ? "refused" : Buffer.concat(chunks));
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** How many descriptors this process (the server runs in it) holds open on `path` (Linux /proc). */
async function descriptorsOn(path: string): Promise<number> {
  const links = await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return links.filter((link) => link === path).length;
}

describe("before login", () => {
  const needLogin = [
    "CWD /", "XCWD /", "CDUP", "XCUP", "PWD", "XPWD", "MKD d", "XMKD d", "RMD d", "XRMD d", "DELE f", "RNFR f", "RNTO g", "SIZE f", "MDTM f",
    "MFMT 20200101000000 f", "SITE CHMOD 644 f", "PASV", "EPSV", "PORT 127,0,0,1,200,10", "EPRT |1|127.0.0.1|51210|", "RETR f", "STOR f",
    "APPE f", "STOU", "REST 10", "LIST", "NLST", "MLSD", "MLST f", "STAT /",
  ];
  test("every command that needs a login gets 530", async () => {
    const control = await connect();
    for (const command of needLogin) {
      const reply = await control.command(command);
      assert.equal(reply.code, 530, `${command}: ${reply.lines.join(" | ")}`);
    }
    // ...and the connection still works afterwards.
    assert.equal((await control.command("NOOP")).code, 200);
  });

  test("commands that need no login answer normally", async () => {
    const control = await connect();
    assert.equal((await control.command("SYST")).text, "UNIX Type: L8");
    assert.equal((await control.command("SYST")).code, 215);
    assert.equal((await control.command("NOOP")).code, 200);
    assert.equal((await control.command("TYPE I")).code, 200);
    assert.equal((await control.command("MODE S")).code, 200);
    assert.equal((await control.command("STRU F")).code, 200);
    assert.equal((await control.command("OPTS UTF8 ON")).code, 200);
    assert.equal((await control.command("FEAT")).code, 211);
    assert.equal((await control.command("HELP")).code, 214);
    assert.equal((await control.command("STAT")).code, 211);
    assert.equal((await control.command("ABOR")).code, 225);
  });

  test("PASS without USER is 503", async () => {
    const control = await connect();
    assert.equal((await control.command(`PASS ${PASSWORD}`)).code, 503);
  });
});

describe("reply codes", () => {
  test("500 unknown command, 501 missing argument, 502 ACCT, 503 RNTO without RNFR, 504 unsupported parameters", async () => {
    const control = await loggedIn();
    const expect = async (command: string, code: number): Promise<void> => {
      const reply = await control.command(command);
      assert.equal(reply.code, code, `${command}: ${reply.lines.join(" | ")}`);
    };
    await expect("FOO", 500);
    await expect("XYZZY bar baz", 500);
    await expect("USER", 501);
    await expect("CWD", 501);
    await expect("MKD", 501);
    await expect("RETR", 501);
    await expect("REST abc", 501);
    await expect("PORT 1,2,3", 501);
    await expect("ACCT billing", 502);
    await expect("RNTO x", 503);
    await expect("TYPE X", 504);
    await expect("TYPE E", 504);
    await expect("MODE B", 504);
    await expect("MODE C", 504);
    await expect("STRU R", 504);
    await expect("STRU P", 504);
    await expect("SITE EXEC /bin/sh", 504);
    await expect("OPTS FOO BAR", 501);
    await expect("PASS again", 503);
    await expect("TYPE A N", 200);
    await expect("TYPE L 8", 200);
    await expect("NOOP", 200);
  });

  test("an unknown verb is not echoed at length", async () => {
    const control = await loggedIn();
    const reply = await control.command(`${"A".repeat(300)} x`);
    assert.equal(reply.code, 500);
    assert.ok(reply.text.length < 100);
  });
});

describe("multi-line replies (RFC 959 §4.2)", () => {
  function checkMultiLine(lines: readonly string[], code: number): void {
    assert.ok(lines.length >= 3, lines.join(" | "));
    assert.equal(lines[0]!.slice(0, 4), `${code}-`);
    assert.equal(lines[lines.length - 1]!.slice(0, 4), `${code} `);
    for (const line of lines.slice(1, -1)) {
      // A middle line must not look like the last one.
      assert.ok(!line.startsWith(`${code} `), line);
    }
  }

  test("FEAT lists each feature on its own line, indented by one space", async () => {
    const control = await connect();
    const reply = await control.command("FEAT");
    checkMultiLine(reply.lines, 211);
    const features = reply.lines.slice(1, -1);
    for (const line of features) assert.match(line, /^ \S/);
    const names = features.map((line) => line.trim().split(" ")[0]);
    for (const name of ["AUTH", "PBSZ", "PROT", "EPRT", "EPSV", "MDTM", "MFMT", "SIZE", "REST", "MLST", "UTF8"]) assert.ok(names.includes(name), `FEAT lacks ${name}`);
    assert.ok(features.some((line) => line === " REST STREAM"));
    assert.match(features.find((line) => line.startsWith(" MLST"))!, /type\*;size\*;modify\*;perm\*;unique\*;/);
  });

  test("HELP names the commands over several lines", async () => {
    const control = await connect();
    const reply = await control.command("HELP");
    checkMultiLine(reply.lines, 214);
    const words = reply.lines.slice(1, -1).join(" ").split(/\s+/);
    for (const verb of ["USER", "RETR", "STOR", "EPSV", "MLSD", "MFMT", "ABOR"]) assert.ok(words.includes(verb), verb);
  });

  test("HELP <command> gives its syntax; an unknown one is 502", async () => {
    const control = await connect();
    const retr = await control.command("HELP RETR");
    assert.deepEqual([retr.code, retr.text], [214, "Syntax: RETR <file>"]);
    assert.equal((await control.command("help mfmt")).code, 214);
    assert.equal((await control.command("HELP FOO")).code, 502);
  });

  test("STAT (server) and STAT path (a listing on the control connection)", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "stat-me.txt"), "12345");
    const server = await control.command("STAT");
    checkMultiLine(server.lines, 211);
    assert.ok(server.lines.some((line) => line.includes(`Logged in as ${USER}`)));
    const listing = await control.command("STAT /");
    checkMultiLine(listing.lines, 213);
    assert.ok(listing.lines.some((line) => /^ ?-rw-r--r-- 1 ftp ftp +5 .* stat-me\.txt$/.test(line)), listing.lines.join("\n"));
  });

  test("MLST answers on the control connection with one fact line, indented", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "mlst.txt"), "abc");
    const reply = await control.command("MLST mlst.txt");
    checkMultiLine(reply.lines, 250);
    assert.match(reply.lines[1]!, /^ type=file;size=3;modify=\d{14};perm=[a-z]+;unique=[0-9a-fg]+;UNIX\.mode=0\d+; \/mlst\.txt$/);
  });
});

describe("data connections: families and modes", () => {
  test("PASV over IPv4 gives an address and port that work", async () => {
    const control = await loggedIn();
    const reply = await control.command("PASV");
    assert.equal(reply.code, 227);
    assert.match(reply.text, /\(127,0,0,1,\d+,\d+\)/);
  });

  test("PASV on an IPv6 control connection is 425 (use EPSV); EPSV works there", NO_V6, async () => {
    const control = await loggedIn("::1");
    const pasv = await control.command("PASV");
    assert.equal(pasv.code, 425);
    assert.match(pasv.text, /EPSV/);
    assert.equal((await control.command("EPSV 1")).code, 522);
    await writeFile(join(home, "six.txt"), "over six");
    const { data, final } = await control.transfer("RETR six.txt");
    assert.equal(data.toString(), "over six");
    assert.equal(final.code, 226);
  });

  test("EPSV ALL: afterwards PASV, PORT and EPRT are refused, EPSV still works", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("EPSV ALL")).code, 200);
    for (const command of ["PASV", "PORT 127,0,0,1,200,10", "EPRT |1|127.0.0.1|51210|"]) {
      const reply = await control.command(command);
      assert.equal(Math.floor(reply.code / 100), 5, `${command}: ${reply.lines.join(" | ")}`);
    }
    const { final } = await control.transfer("LIST");
    assert.equal(final.code, 226);
  });

  test("EPRT takes the client's own IPv6 address however it is spelled", NO_V6, async () => {
    const control = await loggedIn("::1");
    for (const address of ["::1", "0:0:0:0:0:0:0:1", "0000::0001"]) {
      const reply = await control.command(`EPRT |2|${address}|51210|`);
      assert.equal(reply.code, 200, `${address}: ${reply.lines.join(" | ")}`);
    }
    assert.equal((await control.command("EPRT |2|::2|51210|")).code, 504);
  });

  test("REIN ends EPSV ALL: after a new login EPRT and PASV work again", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("EPSV ALL")).code, 200);
    assert.equal((await control.command("REIN")).code, 220);
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("EPRT |1|127.0.0.1|51210|")).code, 200);
    assert.equal((await control.command("PASV")).code, 227);
  });

  test("a transfer without PASV/EPSV/PORT/EPRT is 425", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("LIST")).code, 425);
  });

  test("TYPE A converts line endings both ways; TYPE I keeps every byte", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("TYPE A")).code, 200);
    const stored = await control.transfer("STOR ascii.txt", Buffer.from("one\r\ntwo\r\nthree"));
    assert.equal(stored.final.code, 226);
    assert.equal(await readFile(join(home, "ascii.txt"), "utf8"), "one\ntwo\nthree");
    const back = await control.transfer("RETR ascii.txt");
    assert.equal(back.data.toString(), "one\r\ntwo\r\nthree");
    await control.command("TYPE I");
    assert.equal((await control.transfer("RETR ascii.txt")).data.toString(), "one\ntwo\nthree");
  });
});

describe("ftp.publicAddress (behind NAT)", () => {
  let nat: FtpTestServer;
  before(async () => {
    nat = await startFtpServer({ ftp: { listen: LISTEN, publicAddress: "203.0.113.7" } });
  });
  after(() => nat.stop());

  test("PASV over IPv4 announces the public address", async () => {
    const four = await FtpControl.connect(nat.ftpPort, "127.0.0.1");
    sessions.adopt(four);
    await four.login(USER, PASSWORD);
    assert.match((await four.command("PASV")).text, /\(203,0,113,7,\d+,\d+\)/);
  });

  test("PASV over IPv6 is still 425 (use EPSV), whatever the public IPv4 address", NO_V6, async () => {
    const six = await FtpControl.connect(nat.server.ftp.find((a) => a.family === "IPv6")!.port, "::1");
    sessions.adopt(six);
    await six.login(USER, PASSWORD);
    assert.equal((await six.command("PASV")).code, 425);
    assert.equal((await six.command("EPSV")).code, 229);
  });
});

describe("REST, ABOR, REIN, QUIT", () => {
  test("REST n then RETR sends the tail from byte n", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "rest.bin"), "0123456789abcdef");
    await control.command("TYPE I");
    assert.equal((await control.command("REST 10")).code, 350);
    const { data, final } = await control.transfer("RETR rest.bin");
    assert.equal(data.toString(), "abcdef");
    assert.equal(final.code, 226);
    // REST applies to one transfer only.
    assert.equal((await control.transfer("RETR rest.bin")).data.toString(), "0123456789abcdef");
  });

  test("ABOR during a slow transfer: 426 for the transfer, then 226 for the ABOR", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "big.bin"), Buffer.alloc(32 * 1024 * 1024, 7));
    await control.command("TYPE I");
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    // The client does not read: the transfer stalls on back-pressure.
    data.pause();
    assert.equal((await control.command("RETR big.bin")).code, 150);
    const status = await control.command("STAT");
    assert.ok(status.lines.some((line) => line.includes("Transfer in progress")));
    control.send("ABOR");
    const first = await control.read();
    const second = await control.read();
    assert.deepEqual([first.code, second.code], [426, 226]);
    data.destroy();
    assert.equal((await control.command("NOOP")).code, 200);
  });

  test("a command pipelined after RETR is answered after its 150, even when the data connection comes late", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "ordered.txt"), "in order");
    const port = await control.passive();
    control.sendRaw("RETR ordered.txt\r\nNOOP\r\n");
    // Nothing may answer before RETR's 150: not the NOOP queued behind it.
    assert.equal(await control.quiet(300), null);
    const data = await connectData(port, "127.0.0.1");
    const first = await control.read(5000);
    assert.equal(first.code, 150, first.lines.join(" | "));
    assert.equal((await readAll(data)).toString(), "in order");
    assert.deepEqual([(await control.read(5000)).code, (await control.read(5000)).code].sort(), [200, 226]);
  });

  test("ABOR while a transfer waits for its data connection: 426, then 226, at once; the passive port is closed", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "abor-waiting.txt"), "never sent");
    const port = await control.passive();
    control.send("RETR abor-waiting.txt");
    control.send("ABOR");
    // Well within ftp.dataTimeoutSeconds (30 s): ABOR is not queued behind the wait.
    assert.deepEqual([(await control.read(3000)).code, (await control.read(3000)).code], [426, 226]);
    assert.equal(await passivePortAnswer(port), "refused");
    assert.equal((await control.command("NOOP")).code, 200);
  });

  test("ABOR sent with Telnet IP and Synch before it (as lftp does) is still ABOR", async () => {
    const control = await loggedIn();
    control.sendRaw(Buffer.concat([Buffer.from([0xff, 0xf4, 0xff, 0xf2]), Buffer.from("ABOR\r\n")]));
    assert.equal((await control.read()).code, 225);
  });

  test("REIN logs out and keeps the connection; a new login works", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("CWD /")).code, 250);
    assert.equal((await control.command("REIN")).code, 220);
    assert.equal((await control.command("PWD")).code, 530);
    await control.login(USER, PASSWORD);
    assert.equal((await control.command("PWD")).code, 257);
  });

  test("QUIT during an upload lets it finish: 226, then 221, and the file is complete", async () => {
    const control = await loggedIn();
    await control.command("TYPE I");
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("STOR quit-after.bin")).code, 150);
    const content = Buffer.alloc(2 * 1024 * 1024, 9);
    data.write(content.subarray(0, 1024 * 1024));
    control.send("QUIT");
    data.end(content.subarray(1024 * 1024));
    assert.deepEqual([(await control.read(10_000)).code, (await control.read()).code], [226, 221]);
    await control.closed;
    assert.ok((await readFile(join(home, "quit-after.bin"))).equals(content));
  });

  test("QUIT: 221 and the server closes the connection", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("QUIT")).code, 221);
    await Promise.race([control.closed, new Promise((_, reject) => setTimeout(() => reject(new Error("not closed")), 3000))]);
  });
});

describe("the client closing its side of the control connection", () => {
  test("while a transfer waits for its data connection: the passive port and the file are closed, nothing is sent", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "never-sent.txt"), "not for a session that is gone");
    const path = await realpath(join(home, "never-sent.txt"));
    const port = await control.passive();
    control.send("RETR never-sent.txt");
    // The file open in the server means RETR holds it and waits for the data connection.
    await waitFor(async () => (await descriptorsOn(path)) === 1, { what: "RETR to open the file" });
    // The FIN a close() sends; ending only our side lets the test see the server close its own.
    control.socket.end();
    await within(control.closed, 5000, "the server closing the control connection");
    assert.equal(await passivePortAnswer(port), "refused");
    await waitFor(async () => (await descriptorsOn(path)) === 0, { what: "the file RETR opened to be closed" });
  });

  test("commands pipelined before a half-close all run and are answered, then QUIT closes", async () => {
    const control = await connect();
    control.sendRaw(`USER ${USER}\r\nPASS ${PASSWORD}\r\nMKD half-closed\r\nQUIT\r\n`);
    control.socket.end();
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await control.read(10_000)).code);
    assert.deepEqual(codes, [331, 230, 257, 221]);
    await within(control.closed, 5000, "the server closing the control connection");
    assert.ok((await stat(join(home, "half-closed"))).isDirectory());
  });

  test("STOR, QUIT, then both connections closed by the client: 226, 221, and the file is kept whole", async () => {
    const control = await loggedIn();
    await control.command("TYPE I");
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("STOR half-closed.bin")).code, 150);
    const content = Buffer.alloc(256 * 1024, 5);
    data.write(content);
    control.send("QUIT");
    data.end();
    control.socket.end();
    assert.deepEqual([(await control.read(10_000)).code, (await control.read()).code], [226, 221]);
    await within(control.closed, 5000, "the server closing the control connection");
    assert.ok((await readFile(join(home, "half-closed.bin"))).equals(content));
  });
});

describe("framing and pipelining", () => {
  test("a 5000-byte command line gets 500 and the connection keeps working", async () => {
    const control = await loggedIn();
    const reply = await control.command(`CWD ${"x".repeat(5000)}`);
    assert.equal(reply.code, 500);
    assert.equal((await control.command("PWD")).code, 257);
    // Split over several packets too.
    control.sendRaw(`STAT ${"y".repeat(3000)}`);
    control.sendRaw(`${"y".repeat(3000)}\r\n`);
    assert.equal((await control.read()).code, 500);
    assert.equal((await control.command("NOOP")).code, 200);
  });

  test("200 pipelined commands in one write are all answered, in order", async () => {
    const control = await loggedIn();
    const commands = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? "NOOP" : "PWD"));
    control.sendRaw(commands.map((c) => `${c}\r\n`).join(""));
    for (let i = 0; i < commands.length; i++) {
      const reply = await control.read();
      assert.equal(reply.code, i % 2 === 0 ? 200 : 257, `reply ${i}`);
    }
    assert.equal(control.isClosed, false);
  });

  test("a client that sends commands but never reads the replies is paused, not fed memory", async () => {
    const control = await loggedIn();
    control.socket.pause();
    // NOOP: 6 bytes in, 13 bytes of reply out. Unthrottled, the server would read all 12 MB
    // and hold the replies; throttled, it stops reading and the kernel buffers (a few MB) fill.
    const chunk = Buffer.from("NOOP\r\n".repeat(10_000));
    const cap = 12 * 1024 * 1024;
    let written = 0;
    while (written < cap) {
      written += chunk.length;
      if (!control.socket.write(chunk)) {
        const drained = await Promise.race([once(control.socket, "drain").then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
        if (!drained) break;
      }
    }
    assert.ok(written < cap, `the server kept reading ${written} bytes of commands whose replies nobody read`);
    control.close();
  });

  test("OPTS UTF8 ON, then UTF-8 names work in MKD, CWD, PWD and listings", async () => {
    const control = await loggedIn();
    assert.equal((await control.command("OPTS UTF8 ON")).code, 200);
    const name = "Ünïcødé 日本 🎉";
    const made = await control.command(`MKD ${name}`);
    assert.equal(made.code, 257);
    assert.equal(made.text.startsWith(`"/${name}"`), true);
    assert.equal((await control.command(`CWD ${name}`)).code, 250);
    assert.equal((await control.command("PWD")).text.startsWith(`"/${name}"`), true);
    await control.command("CWD /");
    const { data } = await control.transfer("NLST");
    assert.ok(data.toString("utf8").split("\r\n").includes(name));
    assert.ok((await stat(join(home, name))).isDirectory());
  });

  test("a double quote in a directory name is doubled in the 257 reply", async () => {
    const control = await loggedIn();
    const reply = await control.command('MKD say "hi"');
    assert.equal(reply.code, 257);
    assert.ok(reply.text.startsWith('"/say ""hi"""'), reply.text);
  });

  test("a command line that is not UTF-8 gets 501 and changes nothing: two Latin-1 names are not stored as one", async () => {
    const control = await loggedIn();
    await control.command("TYPE I");
    const before = (await readdir(home)).sort();
    for (const name of [Buffer.from("r\xe9sum\xe9.txt", "latin1"), Buffer.from("r\xe8sum\xe8.txt", "latin1")]) {
      const port = await control.passive();
      const data = await connectData(port, "127.0.0.1");
      control.sendRaw(Buffer.concat([Buffer.from("STOR "), name, Buffer.from("\r\n")]));
      const reply = await control.read();
      data.destroy();
      assert.equal(reply.code, 501, reply.lines.join(" | "));
    }
    control.sendRaw(Buffer.concat([Buffer.from("MKD caf"), Buffer.from([0xe9]), Buffer.from("\r\n")]));
    assert.equal((await control.read()).code, 501);
    assert.deepEqual((await readdir(home)).sort(), before);
    assert.equal((await control.command("NOOP")).code, 200);
  });

  test("Telnet IAC IAC is the data byte 0xFF (RFC 854), not nothing: MKD with it is refused, no directory made", async () => {
    const control = await loggedIn();
    control.sendRaw(Buffer.concat([Buffer.from("MKD iac"), Buffer.from([0xff, 0xff]), Buffer.from("dir\r\n")]));
    assert.equal((await control.read()).code, 501);
    await assert.rejects(stat(join(home, "iacdir")), { code: "ENOENT" });
  });
});

describe("SITE, STOU, MFMT", () => {
  test("SYST is 215 UNIX Type: L8", async () => {
    const control = await connect();
    const reply = await control.command("SYST");
    assert.deepEqual([reply.code, reply.text], [215, "UNIX Type: L8"]);
  });

  test("SITE CHMOD changes the permission bits within the space, and nothing outside it", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "mode.txt"), "x");
    assert.equal((await control.command("SITE CHMOD 600 mode.txt")).code, 200);
    assert.equal((await stat(join(home, "mode.txt"))).mode & 0o777, 0o600);
    // setuid and the like are dropped.
    assert.equal((await control.command("SITE CHMOD 4755 mode.txt")).code, 200);
    assert.equal((await stat(join(home, "mode.txt"))).mode & 0o7777, 0o755);
    const passwdMode = (await stat("/etc/passwd")).mode;
    assert.equal((await control.command("SITE CHMOD 777 ../../../../etc/passwd")).code, 550);
    assert.equal((await control.command("SITE CHMOD 777 /etc/passwd")).code, 550);
    assert.equal((await stat("/etc/passwd")).mode, passwdMode);
    assert.equal((await control.command("SITE CHMOD 999 mode.txt")).code, 501);
    assert.equal((await control.command("SITE CHMOD 644")).code, 501);
    assert.equal((await control.command("SITE HELP")).code, 214);
  });

  test("STOU stores under a new name, given in the 150 reply as FILE: name", async () => {
    const control = await loggedIn();
    await control.command("TYPE I");
    const { preliminary, final } = await control.transfer("STOU", Buffer.from("unique bytes"));
    assert.equal(preliminary.code, 150);
    // RFC 1123 4.1.2.9: exactly "150 FILE: pppp".
    const m = /^FILE: (\S+)$/.exec(preliminary.text);
    assert.ok(m, preliminary.text);
    assert.equal(final.code, 226);
    assert.equal(await readFile(join(home, m[1]!), "utf8"), "unique bytes");
    const again = await control.transfer("STOU", Buffer.from("other"));
    assert.notEqual(/FILE: (\S+)/.exec(again.preliminary.text)?.[1], m[1]);
  });

  test("MFMT and SITE UTIME set the modification time; MDTM reads it back", async () => {
    const control = await loggedIn();
    await writeFile(join(home, "dated.txt"), "x");
    const reply = await control.command("MFMT 20200304050607 dated.txt");
    assert.deepEqual([reply.code, reply.text], [213, "Modify=20200304050607; /dated.txt"]);
    assert.equal((await control.command("MDTM dated.txt")).text, "20200304050607");
    assert.equal((await control.command("SITE UTIME 20010203040506 dated.txt")).code, 200);
    assert.equal((await control.command("MDTM dated.txt")).text, "20010203040506");
    assert.equal((await control.command("SITE UTIME dated.txt 20110101000000 20120202020202 20120202020202 UTC")).code, 200);
    assert.equal((await control.command("MDTM dated.txt")).text, "20120202020202");
    assert.equal((await control.command("MFMT 20201340000000 dated.txt")).code, 501);
    assert.equal((await control.command("MFMT 20200304050607 missing.txt")).code, 550);
    assert.equal((await control.command("MFMT 20200304050607 ../../../etc/passwd")).code, 550);
  });

  test("SIZE, MDTM and CDUP at the root", async () => {
    const control = await loggedIn();
    await mkdir(join(home, "sub"), { recursive: true });
    await writeFile(join(home, "sub", "s.bin"), Buffer.alloc(1234));
    assert.deepEqual([(await control.command("SIZE sub/s.bin")).text], ["1234"]);
    assert.equal((await control.command("SIZE sub")).code, 550);
    assert.equal((await control.command("SIZE nope")).code, 550);
    assert.match((await control.command("MDTM sub/s.bin")).text, /^\d{14}$/);
    assert.equal((await control.command("CDUP")).code, 250);
    assert.match((await control.command("PWD")).text, /^"\/"/);
  });

  test("a transfer's data connection closes and the list arrives whole (NLST, LIST, MLSD)", async () => {
    const control = await loggedIn();
    await mkdir(join(home, "listed"), { recursive: true });
    await writeFile(join(home, "listed", ".hidden"), "h");
    await writeFile(join(home, "listed", "visible"), "v");
    await writeFile(join(home, "listed", ".visible.upload-0123456789ab"), "in progress");
    const nlst = (await control.transfer("NLST listed")).data.toString().split("\r\n").filter(Boolean);
    // Named as RETR takes them from here (as vsftpd's NLST names them).
    assert.deepEqual(nlst.sort(), ["listed/.hidden", "listed/visible"]);
    const list = (await control.transfer("LIST -la listed")).data.toString().split("\r\n").filter(Boolean);
    assert.equal(list.length, 2);
    const mlsd = (await control.transfer("MLSD listed")).data.toString().split("\r\n").filter(Boolean);
    assert.deepEqual(mlsd.map((line) => line.slice(line.indexOf(" ") + 1)).sort(), [".hidden", "visible"]);
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("MLSD listed/visible")).code, 501);
    data.destroy();
  });

  test("a name with CR LF made outside FTP cannot forge listing lines", async () => {
    const control = await loggedIn();
    await mkdir(join(home, "forge"), { recursive: true });
    await writeFile(join(home, "forge", "evil\r\n-rw-r--r-- 1 ftp ftp 1 Jan 1 2020 forged.txt"), "x");
    await writeFile(join(home, "forge", "honest.txt"), "h");
    for (const command of ["LIST forge", "NLST forge", "MLSD forge"]) {
      const lines = (await control.transfer(command)).data.toString().split("\r\n").filter(Boolean);
      assert.equal(lines.length, 1, `${command}: ${lines.join(" | ")}`);
      assert.ok(lines[0]!.endsWith("honest.txt"));
    }
    assert.ok(!(await control.command("STAT forge")).lines.join("\n").includes("forged"));
  });
});
