/**
 * Graceful shutdown as clients see it: every client is told why, every connection
 * is closed, and stop() finishes within server.shutdownTimeoutSeconds even when a
 * client does not cooperate.
 */
import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { closeAll, closesWithin, delay, registerTapped, stopBounded } from "./helpers.js";

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

test("a TLS handshake still under way when stop() begins gets no session, and stop() does not wait for it", async () => {
  const server = await startTestServer({ irc: { tlsListen: ["127.0.0.1:0"] }, server: { shutdownTimeoutSeconds: 1 } });
  // Connected, its handshake not begun: the server holds the socket and waits for the ClientHello.
  const raw = net.connect({ port: server.tlsPort, host: "127.0.0.1" });
  let late: tls.TLSSocket | undefined;
  try {
    await once(raw, "connect");
    await delay(100);
    const stopping = stopBounded(server, 5000);
    late = tls.connect({ socket: raw, rejectUnauthorized: false });
    let received = "";
    late.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    late.on("error", () => {});
    late.once("secureConnect", () => late?.write("NICK late\r\nUSER late 0 * :late\r\n"));
    // Before the fix the handshake finished, the client registered, and stop() waited for it to leave.
    assert.equal(await stopping, true, "stop() resolved without the late client leaving");
    if (!late.closed) await Promise.race([once(late, "close"), delay(2000)]);
    assert.equal(late.closed, true, "the server closed the late connection");
    assert.doesNotMatch(received, / 001 /, "no welcome for a connection that finished its handshake after stop()");
  } finally {
    late?.destroy();
    raw.destroy();
  }
});
