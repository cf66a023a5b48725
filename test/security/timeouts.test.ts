/**
 * Registration and ping timeouts: a connection that never registers, or a
 * registered client that stops answering, must not hold its slot forever.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { SERVER, autoPong, closeAll, closesWithin, delay, linesSince, registerTapped, stopBounded, sync } from "./helpers.js";

test("registration timeout: silent, half-registered and PING-only connections are closed with 'Registration timed out'", async () => {
  const server = await startTestServer({ irc: { registrationTimeoutSeconds: 1 }, server: { shutdownTimeoutSeconds: 1 } });
  const silent = await RawClient.connect(server.port);
  const nickOnly = await RawClient.connect(server.port);
  const capStuck = await RawClient.connect(server.port);
  const pinger = await RawClient.connect(server.port);
  let stillPinging = true;
  try {
    const started = Date.now();
    nickOnly.send("NICK halfway");
    capStuck.send("CAP LS 302");
    capStuck.send("NICK capstuck");
    capStuck.send("USER capstuck 0 * :never sends CAP END");
    // Being alive is not being registered: lines keep coming but registration never completes.
    const pinging = (async () => {
      for (let i = 0; i < 20 && stillPinging && !pinger.isClosed; i++) {
        pinger.send(`PING keepalive${i}`);
        await delay(200);
      }
    })();
    for (const [name, client] of [["silent", silent], ["nick only", nickOnly], ["CAP never ended", capStuck], ["pinging", pinger]] as const) {
      const error = await client.waitFor(/^ERROR /, 4000);
      assert.match(error, /^ERROR :Closing link: 127\.0\.0\.1 \(Registration timed out\)$/, name);
      assert.equal(await closesWithin(client, 3000), true, `${name}: the connection is closed`);
    }
    const elapsed = Date.now() - started;
    await pinging;
    assert.ok(elapsed >= 900, `not before the timeout (${elapsed} ms)`);
    assert.ok(elapsed < 4000, `closed soon after the timeout (${elapsed} ms)`);
  } finally {
    stillPinging = false;
    closeAll(silent, nickOnly, capStuck, pinger);
    await stopBounded(server, 3000);
  }
});

test("registration timeout does not touch a client that registered in time", async () => {
  const server = await startTestServer({ irc: { registrationTimeoutSeconds: 1 }, server: { shutdownTimeoutSeconds: 1 } });
  try {
    const { client, tap } = await registerTapped(server.port, "intime");
    await delay(1600);
    assert.equal(client.isClosed, false);
    assert.equal(tap.text().includes("Registration timed out"), false);
    await sync(client);
    client.close();
  } finally {
    await stopBounded(server, 3000);
  }
});

/** The server's keepalive: `PING <server>`, with or without its own prefix. */
const PING = new RegExp(`^(:${SERVER.replace(/\./g, "\\.")} )?PING :?${SERVER.replace(/\./g, "\\.")}$`);

test("ping timeout: the server PINGs an idle client, drops it with 'Ping timeout' if silent, keeps it if it answers", async () => {
  const server = await startTestServer({ irc: { pingIntervalSeconds: 1, pingTimeoutSeconds: 1 }, server: { shutdownTimeoutSeconds: 1 } });
  const { client: live, tap: liveTap } = await registerTapped(server.port, "answers");
  autoPong(live);
  const { client: mute, tap: muteTap } = await registerTapped(server.port, "mute");
  try {
    const started = Date.now();
    const ping = await mute.waitFor(/PING /, 4000);
    assert.match(ping, PING);
    const error = await mute.waitFor(/^ERROR /, 4000);
    assert.match(error, /^ERROR :Closing link: 127\.0\.0\.1 \(Ping timeout: \d+ seconds\)$/);
    assert.equal(await closesWithin(mute, 3000), true, "the silent client is closed");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 5000, `dropped after interval + timeout (${elapsed} ms)`);
    // Others see why it left.
    const quit = await live.waitFor((line) => line.startsWith(":mute!") && / QUIT /.test(line), 3000);
    assert.match(quit, /^:mute!~mute@127\.0\.0\.1 QUIT :Ping timeout: \d+ seconds$/);
    assert.equal(muteTap.text().split("\r\n").filter((line) => line.startsWith("ERROR ")).length, 1);

    // The client that answers stays through further ping rounds.
    await delay(1600);
    assert.equal(live.isClosed, false, "the answering client is still connected");
    const pings = linesSince(liveTap, 0).filter((line) => PING.test(line));
    assert.ok(pings.length >= 1, "the answering client was pinged too");
    assert.equal(liveTap.text().includes("Ping timeout: "), true, "it saw mute's QUIT");
    assert.equal(liveTap.text().includes("ERROR "), false, "but no ERROR of its own");
    await sync(live);
  } finally {
    closeAll(live, mute);
    await stopBounded(server, 3000);
  }
});
