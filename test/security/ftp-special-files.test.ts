/**
 * What is in an account's folder besides files and folders, and a client that goes away
 * at the wrong moment, must not cost the server. A FIFO planted there (an operator, a
 * shared volume, another service) is refused at once, not opened and waited on: a
 * blocking open would hold one of libuv's few thread-pool threads each, and a handful of
 * them would stall every login and file operation of the whole server. A client reset
 * while its space is being opened must still give the space back, so it is measured
 * again after files.remeasureAfterIdleSeconds unused (files changed behind the server's back count again).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { mkdir, open as openFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, afterEach, before, describe, test } from "node:test";
import { FtpControl, connectData, sleep } from "../support/ftp-client.js";
import { FtpSessions } from "../support/ftp-sessions.js";
import { within } from "../support/wait.js";
import { PASSWORD, USER, startFtpServer, type FtpTestServer } from "../support/ftp-server.js";

/** files.remeasureAfterIdleSeconds here: short, so the test waits seconds, not the default minute. */
const IDLE_KEEP_SECONDS = 3;

let server: FtpTestServer;
let home: string;
const sessions = new FtpSessions();
const sockets: net.Socket[] = [];

before(async () => {
  server = await startFtpServer({ limits: { connectionsPerIp: 64 }, files: { quotaBytes: 100_000, quotaFiles: 0, remeasureAfterIdleSeconds: IDLE_KEEP_SECONDS } }, [
    [USER, PASSWORD],
    ["bob", PASSWORD],
    ["carol", PASSWORD],
  ]);
  home = await server.home();
});
afterEach(() => {
  sessions.closeAll();
  for (const socket of sockets.splice(0)) socket.destroy();
});
after(() => server.stop());

function loggedIn(user = USER): Promise<FtpControl> {
  return sessions.loggedIn(server.ftpPort, { user, binary: true });
}


/** Opens the FIFO for writing once, which lets every open(2) still waiting to read it return. */
async function unblock(fifo: string): Promise<void> {
  const writer = await openFile(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK).catch(() => null);
  await writer?.close();
}

describe("a FIFO in the space", () => {
  test("LIST and MLSD name it as a FIFO (prw-…, type=OS.unix=fifo), not as a file or a link", async () => {
    await mkdir(join(home, "pipes"), { recursive: true });
    await promisify(execFile)("mkfifo", [join(home, "pipes", "named")]);
    const control = await loggedIn();
    const list = await control.transfer("LIST pipes");
    assert.equal(list.final.code, 226);
    assert.match(list.data.toString(), /^prw-r--r-- .* named\r?$/m);
    const mlsd = await control.transfer("MLSD pipes");
    assert.equal(mlsd.final.code, 226);
    assert.match(mlsd.data.toString(), /^type=OS\.unix=fifo;[^ ]* named\r?$/m);
  });

  test("RETR of it is 550 at once, and several such RETRs leave other sessions able to log in and list", { timeout: 60_000 }, async () => {
    const fifo = join(home, "pipe");
    await promisify(execFile)("mkfifo", [fifo]);
    // One more than libuv's thread pool has threads: a blocking open each would hold all of them.
    const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4;
    const replies: Array<Promise<number>> = [];
    try {
      for (let i = 0; i <= pool; i++) {
        const control = await loggedIn();
        const data = await connectData(await control.passive(), "127.0.0.1");
        sockets.push(data);
        replies.push(control.command("RETR pipe", 20_000).then((reply) => reply.code));
      }
      await sleep(300);
      const bob = await within(
        (async () => {
          const control = await loggedIn("bob");
          return control.transfer("LIST");
        })(),
        5000,
        "another account's login and listing",
      );
      assert.equal(bob.final.code, 226);
      assert.deepEqual(await within(Promise.all(replies), 5000, "the RETRs of the FIFO"), Array<number>(pool + 1).fill(550));
      const size = await (await loggedIn()).command("SIZE pipe");
      assert.equal(size.code, 550);
    } finally {
      // Before the fix the opens wait for a writer: give them one, so the server can stop.
      await unblock(fifo);
    }
  });
});

/** A raw control connection to `user`, reset (RST) `afterMs` after PASS is sent. */
async function resetDuringPass(user: string, afterMs: number): Promise<void> {
  const socket = net.connect({ port: server.ftpPort, host: "127.0.0.1" });
  sockets.push(socket);
  socket.on("error", () => {});
  let received = "";
  const replied = (code: string): Promise<void> =>
    new Promise((resolve) => {
      const look = (): void => {
        if (new RegExp(`^${code} `, "m").test(received)) {
          socket.off("data", onData);
          resolve();
        }
      };
      const onData = (chunk: Buffer): void => {
        received += chunk.toString();
        look();
      };
      socket.on("data", onData);
      look();
    });
  await replied("220");
  socket.write(`USER ${user}\r\n`);
  await replied("331");
  socket.write(`PASS ${PASSWORD}\r\n`);
  await sleep(afterMs);
  socket.resetAndDestroy();
}

describe("a client reset while its space opens", () => {
  test("gives the space back: after files.remeasureAfterIdleSeconds of quiet, files added behind the server's back count against the quota", { timeout: 120_000 }, async () => {
    // Enough files that opening carol's space (it is measured) takes a while: the reset lands then.
    const carol = await server.home("carol");
    for (let folder = 0; folder < 10; folder++) {
      const dir = join(carol, "bulk", String(folder));
      await mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: 1000 }, (_, i) => writeFile(join(dir, `f${i}`), "")));
    }
    // How long a password check takes here, the space already open: the reset comes just after it.
    await loggedIn();
    const started = Date.now();
    await loggedIn();
    const passwordCheck = Date.now() - started;
    await resetDuringPass("carol", passwordCheck + 30);
    // Another login waits for the same opening (so the walk is over), then goes away.
    const second = await FtpControl.connect(server.ftpPort);
    sessions.adopt(second);
    assert.equal((await second.command("USER carol")).code, 331);
    assert.equal((await second.command(`PASS ${PASSWORD}`, 60_000)).code, 230);
    await second.command("QUIT");
    // Behind the server's back: 90,000 of carol's 100,000 bytes.
    await writeFile(join(carol, "planted.bin"), Buffer.alloc(90_000));
    await sleep(IDLE_KEEP_SECONDS * 1000 + 3000);
    const control = await loggedIn("carol");
    const { final } = await control.transfer("STOR more.bin", Buffer.alloc(20_000));
    assert.equal(final.code, 552, `the space was not measured again: ${final.lines.join(" | ")}`);
  });
});
