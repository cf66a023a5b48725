/**
 * The bounded send queue: a client that stops reading must not make the server
 * buffer without limit. It is dropped with "SendQ exceeded"; everyone else goes on.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { MB, closeAll, closesWithin, registerTapped, rss, settledRss, sync } from "./helpers.js";

let server: TestServer;

before(async () => {
  server = await startTestServer({ irc: { sendQueueBytes: 65536 } });
});
after(() => server.stop());

test("a client that stops reading is dropped with SendQ exceeded; memory stays bounded; the flooder keeps working", async () => {
  // slow and flooder share #flood; observer shares only #general with slow, so it is not flooded itself.
  const { client: observer } = await registerTapped(server.port, "observer");
  const { client: slow } = await registerTapped(server.port, "slow");
  const { client: flooder } = await registerTapped(server.port, "flooder");
  try {
    slow.send("JOIN #flood");
    await slow.waitFor(/ 366 slow #flood /);
    flooder.send("JOIN #flood");
    await flooder.waitFor(/ 366 flooder #flood /);
    await slow.waitFor((line) => line.startsWith(":flooder!") && line.includes(" JOIN #flood"));
    await sync(slow);
    flooder.socket.setNoDelay(true); // batch + PING without Nagle's delayed-ACK wait
    slow.socket.pause(); // never read again: the kernel buffers fill, then the server's queue

    const text = "x".repeat(400);
    // Batches stay under maxQueuedLines (40): the flooder is fast but not an "Excess Flood".
    const batch = Array.from({ length: 30 }, () => `PRIVMSG #flood :${text}\r\n`).join("");
    const before = settledRss();
    let peak = before;
    let quit: string | undefined;
    const isQuit = (line: string): boolean => line.startsWith(":slow!") && / QUIT /.test(line);
    // Bounded: at most 1000 batches of 30 × ~420 bytes ≈ 12.6 MB, far more than kernel buffers hold.
    for (let round = 0; round < 1000 && quit === undefined; round++) {
      flooder.sendBytes(batch);
      await sync(flooder, 10_000);
      if (round % 10 === 0) peak = Math.max(peak, rss());
      quit = observer.lines.find(isQuit);
    }
    quit ??= await observer.waitFor(isQuit, 3000);
    assert.equal(quit, ":slow!~slow@127.0.0.1 QUIT :SendQ exceeded");
    // What the process retains once the slow client is gone (peak is reported for context:
    // it mostly shows when V8 got round to collecting the garbage of thousands of messages).
    const retained = settledRss() - before;
    assert.ok(retained < 50 * MB, `server process RSS grew by ${(retained / MB).toFixed(1)} MB (peak +${((peak - before) / MB).toFixed(1)} MB)`);

    // The flooder is still connected and working, and is heard by others.
    assert.equal(flooder.isClosed, false);
    flooder.send("PRIVMSG #general :still flooding fine");
    assert.match(await observer.waitFor(/still flooding fine$/), /^:flooder!~flooder@127\.0\.0\.1 PRIVMSG #general :/);
    await sync(flooder);

    // The slow client's socket was cut: once it reads again it reaches the end.
    slow.socket.resume();
    assert.equal(await closesWithin(slow, 5000), true, "the slow client's connection is closed");
    // And its nick is free again.
    observer.send("ISON slow flooder");
    assert.match(await observer.waitFor(/ 303 /), / 303 observer :flooder$/);
  } finally {
    closeAll(observer, slow, flooder);
  }
});

test("a client that never reads its own replies is dropped too (it cannot make the server buffer its answers)", async () => {
  const { client: observer } = await registerTapped(server.port, "watcher2");
  const { client: greedy } = await registerTapped(server.port, "greedy");
  try {
    greedy.socket.pause();
    const before = settledRss();
    let peak = before;
    // Each HELP/MOTD/PING reply is small; ask for a lot of them without ever reading.
    const ask = Array.from({ length: 500 }, (_, i) => `PING ${"p".repeat(300)}${i}\r\n`).join("");
    let quit: string | undefined;
    const isQuit = (line: string): boolean => line.startsWith(":greedy!") && / QUIT /.test(line);
    for (let round = 0; round < 200 && quit === undefined; round++) {
      if (!greedy.socket.destroyed) greedy.sendBytes(ask);
      await sync(observer);
      peak = Math.max(peak, rss());
      quit = observer.lines.find(isQuit);
    }
    quit ??= await observer.waitFor(isQuit, 3000);
    assert.equal(quit, ":greedy!~greedy@127.0.0.1 QUIT :SendQ exceeded");
    const retained = settledRss() - before;
    assert.ok(retained < 50 * MB, `server process RSS grew by ${(retained / MB).toFixed(1)} MB (peak +${((peak - before) / MB).toFixed(1)} MB)`);
  } finally {
    closeAll(observer, greedy);
  }
});
