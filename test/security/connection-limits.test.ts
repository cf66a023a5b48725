/**
 * Connection limits at accept time: per address and in total. Linux routes all of
 * 127.0.0.0/8 to loopback, so binding the client side to 127.0.0.2 or 127.0.0.3
 * gives the server genuinely different peer addresses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { closeAll, closesWithin, openFds, probe, registerTapped, stopBounded } from "./helpers.js";
import { waitFor } from "../support/wait.js";

/**
 * One server per test (limits are global state). Cleanup is bounded: a stop() that
 * hangs is the subject of its own test below, not a reason to hang the run.
 */
async function withServer(limits: { connectionsPerIp?: number; maxConnections?: number }, body: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer({ limits, server: { shutdownTimeoutSeconds: 1 } });
  try {
    await body(server);
  } finally {
    await stopBounded(server, 1000);
  }
}

/** Retries (bounded) until the server accepts a new connection from `localAddress`. */
async function acceptedEventually(port: number, localAddress?: string): Promise<RawClient> {
  return waitFor(
    async () => {
      const { client, accepted } = await probe(port, localAddress);
      if (accepted) return client;
      client.close();
      return undefined;
    },
    { timeoutMs: 2000, intervalMs: 50, what: "the server to accept a new connection" },
  );
}

test("connectionsPerIp = 3: the 4th connection from 127.0.0.1 is refused with ERROR and closed; a slot frees on close", async () => {
  await withServer({ connectionsPerIp: 3 }, async (server) => {
    const held: RawClient[] = [];
    try {
      // Registered and unregistered connections count alike.
      held.push((await registerTapped(server.port, "limit1")).client);
      for (let i = 0; i < 2; i++) {
        const { client, accepted } = await probe(server.port);
        assert.equal(accepted, true, `connection ${i + 2} is accepted`);
        held.push(client);
      }
      const fourth = await probe(server.port);
      assert.equal(fourth.accepted, false);
      assert.equal(fourth.line, "ERROR :Closing link: (Too many connections from your address)");
      assert.equal(await closesWithin(fourth.client, 3000), true, "the refused connection is closed");
      assert.deepEqual(fourth.client.lines, [], "nothing else is sent to a refused connection");

      // Refusals do not eat slots: a burst of them changes nothing.
      for (let i = 0; i < 10; i++) {
        const again = await probe(server.port);
        assert.equal(again.accepted, false);
        again.client.close();
      }

      held.shift()!.close();
      const replacement = await acceptedEventually(server.port);
      held.push(replacement);
      // The new connection is a full citizen: it can register.
      replacement.send("NICK limit4");
      replacement.send("USER limit4 0 * :Limit Four");
      await replacement.waitFor(/ 001 limit4 /);
      // And the limit is still 3.
      const over = await probe(server.port);
      assert.equal(over.accepted, false);
      over.client.close();
    } finally {
      closeAll(...held);
    }
  });
});

test("different addresses are counted separately (127.0.0.2 is accepted when 127.0.0.1 is full)", async () => {
  await withServer({ connectionsPerIp: 3 }, async (server) => {
    const held: RawClient[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push((await probe(server.port)).client);
      const refused = await probe(server.port);
      assert.equal(refused.accepted, false);
      refused.client.close();

      const { client: other } = await registerTapped(server.port, "otherhost", [], { localAddress: "127.0.0.2" });
      held.push(other);
      assert.equal(other.isClosed, false);
      other.send("WHOIS otherhost");
      assert.match(await other.waitFor(/ 311 /), / 311 otherhost otherhost ~otherhost 127\.0\.0\.2 \* :/);

      // 127.0.0.2 has its own limit of 3.
      for (let i = 0; i < 2; i++) {
        const { client, accepted } = await probe(server.port, "127.0.0.2");
        assert.equal(accepted, true);
        held.push(client);
      }
      const refused2 = await probe(server.port, "127.0.0.2");
      assert.equal(refused2.accepted, false);
      assert.equal(refused2.line, "ERROR :Closing link: (Too many connections from your address)");
      refused2.client.close();
    } finally {
      closeAll(...held);
    }
  });
});

test("maxConnections caps the total across addresses with 'Server is full'", async () => {
  await withServer({ connectionsPerIp: 16, maxConnections: 2 }, async (server) => {
    const held: RawClient[] = [];
    try {
      held.push((await probe(server.port, "127.0.0.1")).client);
      held.push((await probe(server.port, "127.0.0.2")).client);
      for (const address of ["127.0.0.1", "127.0.0.3"]) {
        const full = await probe(server.port, address);
        assert.equal(full.accepted, false, `a third connection (from ${address}) is refused`);
        assert.equal(full.line, "ERROR :Closing link: (Server is full)");
        assert.equal(await closesWithin(full.client, 3000), true);
      }
      held.shift()!.close();
      held.push(await acceptedEventually(server.port, "127.0.0.3"));
    } finally {
      closeAll(...held);
    }
  });
});

test("connections that close abruptly (reset, half-open) give their slots back", async () => {
  await withServer({ connectionsPerIp: 2 }, async (server) => {
    const a = (await probe(server.port)).client;
    const b = (await probe(server.port)).client;
    try {
      a.socket.resetAndDestroy();
      b.socket.end(); // half-close: the server finishes and closes too
      const c = await acceptedEventually(server.port);
      const d = await acceptedEventually(server.port);
      const e = await probe(server.port);
      assert.equal(e.accepted, false);
      closeAll(c, d, e.client);
    } finally {
      closeAll(a, b);
    }
  });
});

test("refused connections do not leak sockets on the server (open fds return to the baseline)", async () => {
  await withServer({ connectionsPerIp: 1 }, async (server) => {
    const holder = (await probe(server.port)).client;
    try {
      // probe() saw the holder's PONG: its socket is open on both ends, the baseline is settled.
      const before = openFds();
      for (let i = 0; i < 50; i++) {
        const refused = await probe(server.port);
        assert.equal(refused.accepted, false);
        refused.client.close();
      }
      // Our side of each refused connection is closed; the server notices soon after.
      await waitFor(() => openFds() - before < 10, { timeoutMs: 2000, intervalMs: 50 }).catch(() => {});
      const after = openFds();
      assert.ok(after - before < 10, `${after - before} file descriptors still open after 50 refused (and client-closed) connections`);
    } finally {
      closeAll(holder);
    }
  });
});

test("stop() completes within its bound after a connection was refused", async () => {
  const server = await startTestServer({ limits: { connectionsPerIp: 1 }, server: { shutdownTimeoutSeconds: 1 } });
  const holder = (await probe(server.port)).client;
  const refused = await probe(server.port);
  assert.equal(refused.accepted, false);
  assert.equal(await closesWithin(refused.client, 3000), true);
  const started = Date.now();
  const stopped = await stopBounded(server, 3000);
  closeAll(holder, refused.client);
  assert.ok(stopped, `stop() did not finish within 3 s (shutdownTimeoutSeconds is 1); waited ${Date.now() - started} ms`);
});
