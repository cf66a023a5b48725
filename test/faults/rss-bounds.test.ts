/**
 * Memory under slow consumers and floods, measured: a real `cmymessage serve`, its
 * VmRSS sampled from /proc every 100 ms while (a) 200 IRC clients and 20 WebSocket
 * clients that never read sit in #general as 5 flooders fill it, and (b) 50 clients
 * that never register send junk and PINGs as fast as TCP takes them (reconnecting
 * when cut). The peak must stay under a bound computed from the configured limits:
 *
 *   bound = baseline (measured once every client is connected and idle)
 *         + irc.sendQueueBytes × clients that can be sent to
 *         + receive bound × every connection
 *         + slack (stated below: garbage V8 has not collected yet, socket read chunks)
 *
 * where a connection's receive bound is what it can make the server hold of what it
 * sent: its queued lines (irc.flood.maxQueuedLines, or the 32 lines at which reading
 * pauses when flood control is off) of at most 510 + irc.maxTagBytes + 1 bytes, a
 * partial line of the same size, and one socket read (64 KiB). docs/operations.md
 * gives the same formula to operators. The slow consumers must be cut ("SendQ
 * exceeded"), and a fresh client must still get its PONG (within a generous 10 s: no
 * timing is asserted, only that the server answers).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { rssKiB } from "../../bench/lib/proc.js";
import { startNode, teardownOf, type ClusterNode, type ConfigTree } from "../support/cluster.js";
import { rawClient } from "../support/cluster-irc.js";
import { parseLine, textOf } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { WsIrcClient } from "../support/ws-irc-client.js";

const MiB = 1024 * 1024;
/** The limits the bound is computed from, set explicitly (not the defaults). */
const SEND_QUEUE_BYTES = 64 * 1024;
const MAX_TAG_BYTES = 8191;
const MAX_QUEUED_LINES = 40;
/** Lines queued at which a connection without flood control stops reading (src/irc/connection.ts READ_PAUSE_LINES). */
const READ_PAUSE_LINES = 32;
const MAX_LINE_BYTES = 510 + MAX_TAG_BYTES + 1;
/** One read from a socket (libuv reads up to 64 KiB at a time). */
const READ_CHUNK_BYTES = 64 * 1024;
/** Garbage V8 has not collected yet (formatted lines, parsed commands) and allocator slack: what the bound allows beyond the limits. */
const SLACK_BYTES = 64 * MiB;

const SLOW_TCP = 200;
const SLOW_WS = 20;
const FLOODERS = 5;
const JUNK_CLIENTS = 50;
const SAMPLE_EVERY_MS = 100;
/**
 * How long the flood may run to cut every slow client. It ends as soon as they are all cut,
 * which takes some megabytes per client: what the server's kernel send buffer (autotuned up
 * to tcp_wmem's maximum, 4 MiB here) and the client's receive buffer hold comes on top of
 * irc.sendQueueBytes. On a loaded machine the flooders' rounds come slower; 8 s then once
 * sent too little to fill them (0 of 220 cut, 2026-12-07), so the bound is generous.
 */
const FLOOD_MAX_MS = 40_000;
/** How long the junk senders run. */
const LOAD_MS = 8000;
const FLOOD_TEXT = "f".repeat(400);

const receiveBound = (queuedLines: number): number => queuedLines * MAX_LINE_BYTES + MAX_LINE_BYTES + READ_CHUNK_BYTES;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** VmRSS of `pid` every SAMPLE_EVERY_MS until stopped: the peak in bytes. */
function sampleRss(pid: number): { stop: () => { peak: number; samples: number } } {
  let peak = 0;
  let samples = 0;
  const take = (): void => {
    const kib = rssKiB(pid);
    if (kib === null) return;
    peak = Math.max(peak, kib * 1024);
    samples++;
  };
  take();
  const timer = setInterval(take, SAMPLE_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peak, samples };
    },
  };
}

function rssNow(node: ClusterNode): number {
  const kib = rssKiB(node.pid);
  assert.ok(kib !== null, "the server process is gone");
  return kib * 1024;
}

async function startServer(t: TestContext, name: string, config: ConfigTree): Promise<ClusterNode> {
  return startNode(t, { name, redisUrl: "", databaseUrl: "", config: { irc: { sendQueueBytes: SEND_QUEUE_BYTES, maxTagBytes: MAX_TAG_BYTES, ...(config["irc"] as object) }, ...config } });
}

/** A fresh client registers and gets its PONG within a generous bound (no timing asserted beyond "it answers"). */
async function stillAnswers(t: TestContext, node: ClusterNode): Promise<void> {
  const fresh = await rawClient(t, node, `fresh${Date.now() % 100000}`, { readyChannel: null, timeoutMs: 10_000 });
  fresh.send("PING :still-there");
  await fresh.waitFor(/ PONG \S+ :?still-there$/, 10_000);
}

/** Runs `count` tasks, `width` at a time. */
async function inBatches<T>(count: number, width: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += width) {
    results.push(...(await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, i) => task(start + i)))));
  }
  return results;
}

test("200 IRC and 20 WebSocket clients that never read, 5 flooders: RSS stays under the configured bound, the slow ones are cut with SendQ exceeded", async (t) => {
  // Flood control off: the flooders send as fast as they can (a trusted bot, or flood control disabled).
  const node = await startServer(t, "rss-slow", { irc: { flood: { enabled: false, maxQueuedLines: MAX_QUEUED_LINES } } });
  const observer = await rawClient(t, node, "observer");
  const cut = new Set<string>();
  observer.socket.on("data", () => {
    for (const raw of observer.lines.splice(0)) {
      const line = parseLine(raw);
      if (line.command === "QUIT" && textOf(line) === "SendQ exceeded") cut.add(line.source.split("!")[0]!);
    }
  });
  const slowTcp = await inBatches(SLOW_TCP, 25, async (i) => {
    const client = await rawClient(t, node, `slow${i}`);
    client.socket.pause();
    return client;
  });
  const slowWs = await inBatches(SLOW_WS, 10, async (i) => {
    const client = await WsIrcClient.register(node.httpPort, `wslow${i}`);
    teardownOf(t).add(`closing wslow${i}`, () => client.close());
    await client.waitFor(new RegExp(` 366 wslow${i} #general `));
    client.ws.pause();
    return client;
  });
  const flooders = await inBatches(FLOODERS, FLOODERS, async (i) => {
    const client = await rawClient(t, node, `flooder${i}`);
    client.socket.setNoDelay(true);
    return client;
  });
  const slowNicks = [...slowTcp.map((_, i) => `slow${i}`), ...slowWs.map((_, i) => `wslow${i}`)];
  const connections = slowNicks.length + flooders.length + 1;
  const baseline = rssNow(node);
  const bound = baseline + SEND_QUEUE_BYTES * connections + receiveBound(Math.max(READ_PAUSE_LINES, MAX_QUEUED_LINES)) * connections + SLACK_BYTES;

  const sampler = sampleRss(node.pid);
  const deadline = Date.now() + FLOOD_MAX_MS;
  const batch = Array.from({ length: 30 }, () => `PRIVMSG #general :${FLOOD_TEXT}\r\n`).join("");
  let batches = 0;
  await Promise.all(
    flooders.map(async (flooder) => {
      // Bounded by time and by count, and over as soon as every slow client is cut.
      for (let round = 0; round < 2000 && Date.now() < deadline && cut.size < slowNicks.length; round++) {
        flooder.sendBytes(batch);
        flooder.send(`PING :sync${round}`);
        await flooder.waitFor(new RegExp(` PONG \\S+ :?sync${round}$`), 10_000);
        flooder.lines.length = 0;
        batches++;
      }
    }),
  );
  await stillAnswers(t, node);
  const { peak, samples } = sampler.stop();
  t.diagnostic(
    `flood: ${batches} batches of 30 × ${FLOOD_TEXT.length}-byte messages; ${cut.size}/${slowNicks.length} slow clients cut; ` +
      `RSS baseline ${mib(baseline)}, peak ${mib(peak)} (${samples} samples), bound ${mib(bound)} ` +
      `(= baseline + ${connections} × (sendQueue ${SEND_QUEUE_BYTES} + receive ${receiveBound(Math.max(READ_PAUSE_LINES, MAX_QUEUED_LINES))}) + slack ${mib(SLACK_BYTES)})`,
  );
  assert.deepEqual(
    slowNicks.filter((nick) => !cut.has(nick)),
    [],
    "slow clients still connected after the flood",
  );
  assert.ok(peak <= bound, `peak RSS ${mib(peak)} is over the bound ${mib(bound)}`);
});

/** A client that never registers: junk and PINGs as fast as TCP takes them, again on a new connection whenever it is cut; until `deadline`. */
async function junkSender(port: number, deadline: number, cuts: { count: number }): Promise<void> {
  const chunk = Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `PING :junk${i}\r\n` : `JUNK ${"j".repeat(300)}\r\n`)).join(""));
  for (let connection = 0; connection < 10_000 && Date.now() < deadline; connection++) {
    await new Promise<void>((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      // Closed by us at the deadline, not cut by the server.
      let ours = false;
      const end = (): void => {
        ours = true;
        socket.destroy();
      };
      const timer = setTimeout(end, Math.max(0, deadline - Date.now()));
      socket.on("error", () => {});
      socket.on("data", () => {}); // read the replies: the server is not held back by us
      socket.once("close", () => {
        clearTimeout(timer);
        if (!ours) cuts.count++;
        resolve();
      });
      const pump = (): void => {
        while (!socket.destroyed && Date.now() < deadline) if (!socket.write(chunk)) return void socket.once("drain", pump);
        if (!socket.destroyed) end();
      };
      socket.once("connect", pump);
    });
  }
}

test("50 clients that never register flood junk and PINGs: RSS stays under the configured bound, they are cut, the server answers", async (t) => {
  // Flood control on, as by default: the registration budget and the queued-line bound apply from the first byte.
  const node = await startServer(t, "rss-junk", { irc: { flood: { enabled: true, maxQueuedLines: MAX_QUEUED_LINES, registrationLines: 50 } } });
  const watcher: RawClient = await rawClient(t, node, "watcher");
  const baseline = rssNow(node);
  const connections = JUNK_CLIENTS + 1;
  const bound = baseline + SEND_QUEUE_BYTES * connections + receiveBound(MAX_QUEUED_LINES) * connections + SLACK_BYTES;

  const sampler = sampleRss(node.pid);
  const cuts = { count: 0 };
  const deadline = Date.now() + LOAD_MS / 2;
  await Promise.all(Array.from({ length: JUNK_CLIENTS }, () => junkSender(node.ircPort, deadline, cuts)));
  await stillAnswers(t, node);
  watcher.send("PING :watcher");
  await watcher.waitFor(/ PONG \S+ :?watcher$/, 10_000);
  const { peak, samples } = sampler.stop();
  t.diagnostic(
    `junk: ${cuts.count} connections cut; RSS baseline ${mib(baseline)}, peak ${mib(peak)} (${samples} samples), bound ${mib(bound)} ` +
      `(= baseline + ${connections} × (sendQueue ${SEND_QUEUE_BYTES} + receive ${receiveBound(MAX_QUEUED_LINES)}) + slack ${mib(SLACK_BYTES)})`,
  );
  assert.ok(cuts.count > JUNK_CLIENTS, `only ${cuts.count} junk connections were cut: the server let them flood on`);
  assert.ok(peak <= bound, `peak RSS ${mib(peak)} is over the bound ${mib(bound)}`);
});
