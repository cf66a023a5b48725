/**
 * Graceful shutdown as clients see it: every client is told why, every connection
 * is closed, and stop() finishes within server.shutdownTimeoutSeconds even when a
 * client does not cooperate.
 */
import net from "node:net";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { closeAll, closesWithin, registerTapped, stopBounded } from "./helpers.js";

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

test("stop() tells each registered client 'Server shutting down' and closes it", async () => {
  const server = await startTestServer({ server: { shutdownTimeoutSeconds: 2 } });
  const clients = [
    (await registerTapped(server.port, "one")).client,
    (await registerTapped(server.port, "two", ["server-time", "message-tags"])).client,
    (await registerTapped(server.port, "three")).client,
  ];
  const unregistered = await RawClient.connect(server.port);
  unregistered.send("NICK notyet");
  try {
    const started = Date.now();
    const stopped = await stopBounded(server, 5000);
    const elapsed = Date.now() - started;
    assert.ok(stopped, "stop() resolved");
    assert.ok(elapsed < 2500, `stop() took ${elapsed} ms with cooperative clients (bound 2 s)`);
    for (const client of clients) {
      const error = await client.waitFor(/^ERROR /, 2000);
      assert.match(error, /^(@\S+ )?ERROR :Closing link: 127\.0\.0\.1 \(Server shutting down\)$/);
      assert.equal(await closesWithin(client, 2000), true, "closed by the server");
    }
    assert.equal(await closesWithin(unregistered, 2000), true, "unregistered connections are closed too");
    assert.equal(await refused(server.port), true, "no new connections after stop()");
  } finally {
    closeAll(...clients, unregistered);
  }
});

test("a client that never reads does not hold up stop() beyond shutdownTimeoutSeconds", async () => {
  const server = await startTestServer({ server: { shutdownTimeoutSeconds: 1 } });
  const { client: stuck } = await registerTapped(server.port, "stuck");
  const { client: fine } = await registerTapped(server.port, "fine");
  try {
    stuck.socket.pause();
    const started = Date.now();
    const stopped = await stopBounded(server, 5000);
    const elapsed = Date.now() - started;
    assert.ok(stopped, "stop() resolved");
    assert.ok(elapsed < 2000, `stop() took ${elapsed} ms (bound 1 s)`);
    assert.match(await fine.waitFor(/^ERROR /, 2000), /\(Server shutting down\)$/);
    // The stuck client's data was sent before the cut: once it reads, it sees why.
    stuck.socket.resume();
    assert.match(await stuck.waitFor(/^ERROR /, 2000), /^ERROR :Closing link: 127\.0\.0\.1 \(Server shutting down\)$/);
    assert.equal(await closesWithin(stuck, 2000), true);
  } finally {
    closeAll(stuck, fine);
  }
});

test("stop() is idempotent and a second call does not wait again", async () => {
  const server = await startTestServer({ server: { shutdownTimeoutSeconds: 1 } });
  const { client } = await registerTapped(server.port, "twice");
  try {
    const first = server.server.stop();
    const second = server.server.stop();
    assert.equal(first, second, "the same promise");
    await stopBounded(server, 3000);
    assert.equal(await closesWithin(client, 2000), true);
    const lines = client.lines.filter((line) => line.startsWith("ERROR "));
    assert.equal(lines.length, 1, "one ERROR, not one per stop() call");
  } finally {
    closeAll(client);
  }
});
