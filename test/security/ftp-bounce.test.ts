/**
 * RFC 2577 on the data connections: the bounce attack (PORT/EPRT aimed at
 * another host or a privileged port) is refused, and passive-port theft (a
 * connection to our PASV/EPSV port from another address) is refused and logged
 * while the real client still gets its data.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, connectData, readAll, sleep } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

let server: FtpTestServer;
let home: string;
const sessions = new FtpSessions();

before(async () => {
  server = await startFtpServer({ limits: { connectionsPerIp: 64 } });
  home = await server.home();
  await writeFile(join(home, "payload.txt"), "the real client's data");
});
afterEach(() => {
  sessions.closeAll();
});
after(() => server.stop());

function loggedIn(): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort);
}

/** A listener on the client side that records whether anyone ever connects to it. */
async function trap(host = "127.0.0.1"): Promise<{ port: number; hits: () => number; close: () => void }> {
  let hits = 0;
  const listener = net.createServer((socket) => {
    hits++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, host, resolve));
  return { port: (listener.address() as net.AddressInfo).port, hits: () => hits, close: () => listener.close() };
}

function portArgument(host: string, port: number): string {
  return `${host.split(".").join(",")},${port >> 8},${port & 255}`;
}

describe("FTP bounce (PORT / EPRT)", () => {
  test("PORT to another address is refused with 504 and nothing is connected to", async () => {
    const control = await loggedIn();
    const target = await trap("127.0.0.2");
    try {
      for (const host of ["127.0.0.2", "1.2.3.4", "10.0.0.1", "0.0.0.0", "255.255.255.255"]) {
        const reply = await control.command(`PORT ${portArgument(host, target.port)}`);
        assert.equal(reply.code, 504, `PORT ${host}: ${reply.lines.join(" | ")}`);
      }
      // The refused PORT left no data channel behind: a transfer now is 425.
      assert.equal((await control.command("RETR payload.txt")).code, 425);
      await sleep(100);
      assert.equal(target.hits(), 0);
    } finally {
      target.close();
    }
  });

  test("EPRT to another address (IPv4 or IPv6) is refused with 504", async () => {
    const control = await loggedIn();
    for (const argument of ["|1|127.0.0.2|50000|", "|1|1.2.3.4|50000|", "|2|::1|50000|", "|2|::ffff:1.2.3.4|50000|", "!1!1.2.3.4!50000!"]) {
      const reply = await control.command(`EPRT ${argument}`);
      assert.equal(reply.code, 504, `EPRT ${argument}: ${reply.lines.join(" | ")}`);
    }
  });

  test("PORT and EPRT to a port below 1024 on the client itself are refused with 504", async () => {
    const control = await loggedIn();
    for (const port of [21, 22, 25, 80, 443, 1023, 0, 1]) {
      assert.equal((await control.command(`PORT ${portArgument("127.0.0.1", port)}`)).code, 504, `PORT port ${port}`);
      assert.equal((await control.command(`EPRT |1|127.0.0.1|${port}|`)).code, 504, `EPRT port ${port}`);
    }
    assert.equal((await control.command("EPRT |1|127.0.0.1|65536|")).code, 501);
    assert.equal((await control.command("EPRT |1|127.0.0.1|99999|")).code, 501);
  });

  test("malformed PORT and EPRT get 501/522, not a connection", async () => {
    const control = await loggedIn();
    for (const command of ["PORT 127,0,0,1,256,1", "PORT 127,0,0,1,4", "PORT a,b,c,d,e,f", "PORT 127,0,0,1,-1,5", "EPRT |1|127.0.0.1|", "EPRT |1|not-an-ip|5000|", "EPRT |2|127.0.0.1|5000|", "EPRT |3|127.0.0.1|5000|", "EPRT"]) {
      const reply = await control.command(command);
      assert.ok([501, 522].includes(reply.code), `${command}: ${reply.lines.join(" | ")}`);
    }
  });

  test("a bounce attempt is logged with the target", async () => {
    const control = await loggedIn();
    await control.command("PORT 1,2,3,4,200,1");
    assert.ok(server.logs.some((record) => record.msg === "ftp bounce attempt refused" && record["target"] === "1.2.3.4"));
  });

  test("PORT to the client's own address and a high port works", async () => {
    const control = await loggedIn();
    const listener = net.createServer();
    const received = new Promise<Buffer>((resolve) => listener.once("connection", (socket) => resolve(readAll(socket))));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    try {
      const port = (listener.address() as net.AddressInfo).port;
      assert.equal((await control.command(`PORT ${portArgument("127.0.0.1", port)}`)).code, 200);
      assert.equal((await control.command("RETR payload.txt")).code, 150);
      assert.equal((await received).toString(), "the real client's data");
      assert.equal((await control.read()).code, 226);
    } finally {
      listener.close();
    }
  });
});

describe("passive port theft", () => {
  test("a connection from 127.0.0.2 to the PASV port is refused and logged; the real client still gets its data", async () => {
    const control = await loggedIn();
    const port = await control.passive("PASV");
    // The thief connects first, from another address.
    const thief = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    thief.on("error", () => {});
    const stolen = readAll(thief, 5000).catch(() => Buffer.alloc(0));
    await new Promise((resolve) => thief.once("close", resolve));
    // The real client connects and asks for the file.
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("RETR payload.txt")).code, 150);
    assert.equal((await readAll(data)).toString(), "the real client's data");
    assert.equal((await control.read()).code, 226);
    assert.equal((await stolen).length, 0);
    const logged = server.logs.find((record) => record.msg.startsWith("refused a data connection from another address"));
    assert.ok(logged, "the theft attempt was not logged");
    assert.equal(logged["address"], "127.0.0.2");
    assert.equal(logged["expected"], "127.0.0.1");
  });

  test("the same with EPSV, the thief arriving after RETR; and a second connection after the real one is refused", async () => {
    const control = await loggedIn();
    const port = await control.passive("EPSV");
    // The server answers 150 once the data connection is made; the thief tries first.
    control.send("RETR payload.txt");
    await sleep(50);
    const thief = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    thief.on("error", () => {});
    const stolen = readAll(thief, 5000).catch(() => Buffer.alloc(0));
    await new Promise((resolve) => thief.once("close", resolve));
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.read()).code, 150);
    assert.equal((await readAll(data)).toString(), "the real client's data");
    assert.equal((await control.read()).code, 226);
    assert.equal((await stolen).length, 0);
    // Once the real client is connected, the passive port takes nobody else.
    const late = net.connect({ port, host: "127.0.0.1" });
    const outcome = await new Promise<string>((resolve) => {
      late.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      late.once("data", () => resolve("data"));
      late.once("close", () => resolve("closed"));
    });
    assert.notEqual(outcome, "data");
    late.destroy();
  });

  test("an upload's passive port cannot be stolen either: the thief's bytes are never stored", async () => {
    const control = await loggedIn();
    const port = await control.passive("EPSV");
    const thief = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
    thief.on("error", () => {});
    thief.end("evil bytes");
    await new Promise((resolve) => thief.once("close", resolve));
    const data = await connectData(port, "127.0.0.1");
    assert.equal((await control.command("STOR upload.txt")).code, 150);
    data.end("good bytes");
    assert.equal((await control.read()).code, 226);
    const { readFile } = await import("node:fs/promises");
    assert.equal(await readFile(join(home, "upload.txt"), "utf8"), "good bytes");
  });
});
