/**
 * Receive flood control (fakelag) as a client sees it: a short burst at full speed,
 * then lines paced at linesPerSecond, and "Excess Flood" for a client that queues
 * more than maxQueuedLines. Before registering, a client has a budget of
 * registrationLines lines instead.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { FrameworkClient } from "../support/framework-client.js";
import { chathistory, HISTORY_CAPS, texts } from "../support/irc-lines.js";
import { SERVER, closeAll, closesWithin, linesMatching, linesSince, registerTapped, stopBounded, sync } from "./helpers.js";

let server: TestServer;
/** The pre-registration budget of the test server. */
const REGISTRATION_LINES = 12;

before(async () => {
  server = await startTestServer({ irc: { flood: { enabled: true, burst: 5, linesPerSecond: 5, maxQueuedLines: 20, registrationLines: REGISTRATION_LINES } } });
});
after(() => server.stop());

test("10 PINGs at once: all 10 PONGs come back, the first 5 at once and the rest paced", async () => {
  // Registration is not throttled and there is no PING round trip: the burst is untouched.
  const { client, tap } = await registerTapped(server.port, "pinger", [], { noSync: true });
  try {
    const from = tap.timed.length;
    const sentAt = performance.now();
    client.sendBytes(Array.from({ length: 10 }, (_, i) => `PING flood${i}\r\n`).join(""));
    await client.waitFor((line) => line.endsWith("flood9"), 8000);
    const pongs = tap.timed.slice(from).filter((entry) => / PONG /.test(entry.line));
    assert.deepEqual(
      pongs.map((entry) => entry.line),
      Array.from({ length: 10 }, (_, i) => `:${SERVER} PONG ${SERVER} flood${i}`),
      "every PING answered, in order",
    );
    const at = pongs.map((entry) => entry.at - sentAt);
    // Burst: the first five come back together, without waiting.
    assert.ok(at[4]! - at[0]! < 200, `burst answered at once (PONG 1→5 took ${(at[4]! - at[0]!).toFixed(0)} ms)`);
    // Then 5 lines/s ≈ 200 ms apart: the last one about a second after the first.
    assert.ok(at[9]! >= 600, `the last PONG was not delayed enough: ${at[9]!.toFixed(0)} ms`);
    assert.ok(at[9]! < 4000, `the last PONG took too long: ${at[9]!.toFixed(0)} ms`);
    // PONGs 6..10 follow a 200 ms grid (a late timer shortens the next wait, so look at the span).
    assert.ok(at[9]! - at[5]! >= 500, `PONG 6→10 took only ${(at[9]! - at[5]!).toFixed(0)} ms`);
    assert.ok(at[5]! - at[4]! >= 100, `the 6th PONG was not held back (${(at[5]! - at[4]!).toFixed(0)} ms after the 5th)`);
  } finally {
    closeAll(client);
  }
});

test("a client blasting 200 lines is dropped with Excess Flood; others see its QUIT", async () => {
  const { client: observer, tap: observerTap } = await registerTapped(server.port, "watcher");
  const { client: flooder, tap: flooderTap } = await registerTapped(server.port, "blaster", [], { noSync: true });
  try {
    await observer.waitFor((line) => line.startsWith(":blaster!") && line.includes(" JOIN #general"));
    const from = observerTap.text().length;
    flooder.sendBytes(Array.from({ length: 200 }, (_, i) => `PRIVMSG #general :flood line ${i}\r\n`).join(""));
    const error = await flooder.waitFor(/^ERROR /, 5000);
    assert.equal(error, "ERROR :Closing link: 127.0.0.1 (Excess Flood)");
    assert.equal(await closesWithin(flooder, 3000), true, "the flooder's connection is closed");
    const quit = await observer.waitFor((line) => line.startsWith(":blaster!") && / QUIT /.test(line), 5000);
    assert.equal(quit, ":blaster!~blaster@127.0.0.1 QUIT :Excess Flood");
    await sync(observer);
    const relayed = linesSince(observerTap, from).filter((line) => line.startsWith(":blaster!") && / PRIVMSG /.test(line));
    assert.ok(relayed.length <= 6, `only the burst got through before the drop, not ${relayed.length} lines`);
    // Once others have seen the QUIT, nothing more may come from that user.
    const fromFlooder = linesSince(observerTap, from).filter((line) => line.startsWith(":blaster!"));
    const quitAt = fromFlooder.indexOf(quit);
    assert.deepEqual(fromFlooder.slice(quitAt + 1), [], "lines from the flooder after its QUIT");
    // Nothing the flooder sent after the drop was answered.
    assert.equal(flooderTap.text().includes("flood line 199"), false);
    // The server is fine: the observer still works and can be flooded-controlled on its own.
    observer.send("PRIVMSG #general :still here");
    await sync(observer);
  } finally {
    closeAll(observer, flooder);
  }
});

test("registration lines are not throttled and leave the full burst for after", async () => {
  const started = performance.now();
  const { client, tap } = await registerTapped(server.port, "regfast", ["message-tags", "server-time", "echo-message", "away-notify"]);
  try {
    assert.ok(performance.now() - started < 1000, "registration (CAP REQ, NICK, USER, CAP END, PING) was not paced");
    const from = tap.timed.length;
    const sentAt = performance.now();
    client.sendBytes(Array.from({ length: 4 }, (_, i) => `PING burst${i}\r\n`).join(""));
    await client.waitFor((line) => line.endsWith("burst3"), 3000);
    const last = tap.timed.slice(from).find((entry) => entry.line.endsWith("burst3"));
    assert.ok(last && last.at - sentAt < 150, "the lines after registration are still in the burst");
  } finally {
    closeAll(client);
  }
});

test("with flood control off, a client pipelining 200 PRIVMSGs is not dropped and every line arrives in order", async () => {
  // irc.flood.enabled: false is documented as "no receive flood control at all".
  const open = await startTestServer({ irc: { flood: { enabled: false } }, server: { shutdownTimeoutSeconds: 1 } });
  const { client: observer, tap: observerTap } = await registerTapped(open.port, "listener");
  const { client: bulk } = await registerTapped(open.port, "bulk");
  try {
    await observer.waitFor((line) => line.startsWith(":bulk!") && line.includes(" JOIN #general"));
    const from = observerTap.text().length;
    bulk.sendBytes(Array.from({ length: 200 }, (_, i) => `PRIVMSG #general :bulk line ${i}\r\n`).join(""));
    await observer.waitFor((line) => line.endsWith(":bulk line 199") || (line.startsWith(":bulk!") && / QUIT /.test(line)), 10_000);
    await sync(observer);
    const seen = linesSince(observerTap, from).filter((line) => line.startsWith(":bulk!"));
    assert.deepEqual(seen.filter((line) => / QUIT /.test(line)), [], "the bulk sender was not dropped");
    assert.deepEqual(
      seen,
      Array.from({ length: 200 }, (_, i) => `:bulk!~bulk@127.0.0.1 PRIVMSG #general :bulk line ${i}`),
      "all 200 lines, in order",
    );
    assert.equal(bulk.isClosed, false);
  } finally {
    closeAll(observer, bulk);
    await stopBounded(open, 3000);
  }
});

test("a client that never registers and floods PINGs is cut with Excess Flood after its registration budget", async () => {
  const flooder = await RawClient.connect(server.port);
  const { client: observer } = await registerTapped(server.port, "bystander");
  try {
    flooder.sendBytes(Array.from({ length: 5000 }, (_, i) => `PING unreg${i}\r\n`).join(""));
    const error = await flooder.waitFor(/^ERROR /, 5000);
    assert.equal(error, "ERROR :Closing link: 127.0.0.1 (Excess Flood)");
    assert.equal(await closesWithin(flooder, 3000), true, "the flooder's connection is closed");
    const pongs = linesMatching(flooder, / PONG /);
    assert.ok(pongs.length <= REGISTRATION_LINES, `${pongs.length} PINGs of an unregistered client were answered`);
    // Others are unaffected.
    await sync(observer);
  } finally {
    closeAll(flooder, observer);
  }
});

test("lines that are not even lines (too long) count against the registration budget too", async () => {
  const flooder = await RawClient.connect(server.port);
  try {
    flooder.sendBytes(Array.from({ length: 100 }, () => `PING ${"x".repeat(9000)}\r\n`).join(""));
    assert.equal(await flooder.waitFor(/^ERROR /, 5000), "ERROR :Closing link: 127.0.0.1 (Excess Flood)");
    assert.ok(linesMatching(flooder, / 417 /).length <= REGISTRATION_LINES);
  } finally {
    closeAll(flooder);
  }
});

test("a normal registration within the budget works: raw with caps, and irc-framework", async () => {
  const raw = await RawClient.connect(server.port);
  const framework = await FrameworkClient.connect(server.port, "fwnormal", { caps: ["echo-message"] });
  try {
    // What a careful client sends: CAP LS, a few REQs, a change of nick, then the rest.
    raw.send("CAP LS 302");
    raw.send("CAP REQ :message-tags");
    raw.send("CAP REQ :server-time");
    raw.send("CAP REQ :echo-message");
    raw.send("NICK firstchoice");
    raw.send("NICK rawnormal");
    raw.send("USER rawnormal 0 * :raw normal");
    raw.send("PING beforeend");
    raw.send("CAP END");
    await raw.waitFor(/ 001 rawnormal /);
    await raw.waitFor(/ 366 rawnormal #general /);
    // Registered: the budget no longer applies, fakelag does.
    raw.sendBytes(Array.from({ length: REGISTRATION_LINES }, (_, i) => `PING after${i}\r\n`).join(""));
    await raw.waitFor((line) => line.endsWith(`after${REGISTRATION_LINES - 1}`), 8000);
    assert.equal(raw.isClosed, false);
  } finally {
    closeAll(raw);
    await framework.close();
  }
});

/** The line without its tag section (the history readers have server-time). */
function untagged(line: string): string {
  return line.startsWith("@") ? line.slice(line.indexOf(" ") + 1) : line;
}

/** The PRIVMSG texts to `channel` in `lines`, in order. */
function privmsgTexts(lines: readonly string[], channel: string): string[] {
  const marker = ` PRIVMSG ${channel} :`;
  return lines.filter((line) => line.includes(marker)).map((line) => line.slice(line.indexOf(marker) + marker.length));
}

test("messages of a flooder cut by Excess Flood: history holds exactly what the members saw", async () => {
  const { client: member, tap: memberTap } = await registerTapped(server.port, "witness", [...HISTORY_CAPS]);
  const { client: flooder } = await registerTapped(server.port, "spammer", [], { noSync: true });
  try {
    for (const client of [member, flooder]) client.send("JOIN #stored");
    await member.waitFor((line) => untagged(line).startsWith(":spammer!") && line.includes(" JOIN #stored"));
    const from = memberTap.text().length;
    flooder.sendBytes(Array.from({ length: 200 }, (_, i) => `PRIVMSG #stored :stored line ${i}\r\n`).join(""));
    await flooder.waitFor(/^ERROR .*Excess Flood/, 5000);
    await member.waitFor((line) => untagged(line).startsWith(":spammer!") && / QUIT /.test(line), 5000);
    await sync(member);
    const seen = privmsgTexts(linesSince(memberTap, from), "#stored");
    const stored = texts(await chathistory(member, "LATEST #stored * 100"));
    assert.deepEqual(stored, seen, "history holds what the member received, no more, no less");
    assert.ok(seen.length >= 1, "the burst was delivered before the drop");
  } finally {
    closeAll(member, flooder);
  }
});

test("PRIVMSG then QUIT in one write: the message reaches the channel before the QUIT, and is in history", async () => {
  const { client: member, tap: memberTap } = await registerTapped(server.port, "listener2", [...HISTORY_CAPS]);
  const { client: leaver } = await registerTapped(server.port, "leaver", [], { noSync: true });
  try {
    for (const client of [member, leaver]) client.send("JOIN #bye");
    await member.waitFor((line) => untagged(line).startsWith(":leaver!") && line.includes(" JOIN #bye"));
    const from = memberTap.text().length;
    leaver.sendBytes("PRIVMSG #bye :goodbye all\r\nQUIT :done\r\n");
    await member.waitFor((line) => untagged(line).startsWith(":leaver!") && / QUIT /.test(line), 5000);
    await sync(member);
    const fromLeaver = linesSince(memberTap, from).map(untagged).filter((line) => line.startsWith(":leaver!"));
    assert.deepEqual(fromLeaver, [":leaver!~leaver@127.0.0.1 PRIVMSG #bye :goodbye all", ":leaver!~leaver@127.0.0.1 QUIT :Quit: done"]);
    assert.deepEqual(texts(await chathistory(member, "LATEST #bye * 10")), ["goodbye all"]);
  } finally {
    closeAll(member, leaver);
  }
});
