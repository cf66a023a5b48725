/**
 * GET /readyz as a load balancer sees it: 200 with the node's name and each check
 * while the database answers; 503 problem+json naming the failed check and its reason
 * when the database is cut off or hangs (within the probe timeout, not after it);
 * ready again by itself when the database is back; 503 "stopping" once the server
 * has begun to stop. PostgreSQL is reached through a TCP proxy the test controls.
 */
import net from "node:net";
import { hostname } from "node:os";
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { bootServer, createHome, forEachDatabase, postgresBaseUrl, postgresUrlVia, TcpProxy } from "../support/account-server.js";
import { startTestServer } from "../support/test-server.js";
import { waitFor } from "../support/wait.js";
import { READINESS_PROBE_TIMEOUT_MS } from "../../src/http/readiness.js";

interface Readyz {
  status: number;
  contentType: string;
  cacheControl: string;
  body: { status: string | number; node: string; checks: Record<string, string>; type?: string; title?: string; detail?: string };
  ms: number;
}

async function readyz(port: number): Promise<Readyz> {
  const started = Date.now();
  // Bounded: a /readyz that hangs is exactly the failure under test.
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(15_000) });
  const body = (await response.json()) as Readyz["body"];
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    cacheControl: response.headers.get("cache-control") ?? "",
    body,
    ms: Date.now() - started,
  };
}

test("ready: 200 JSON with the host name as node (cluster.nodeName empty) and the database check ok, never cached", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  t.after(() => server.stop());
  const reply = await readyz(server.httpPort);
  assert.equal(reply.status, 200);
  assert.match(reply.contentType, /^application\/json/);
  assert.equal(reply.cacheControl, "no-store");
  assert.deepEqual(reply.body, { status: "ready", node: hostname(), checks: { database: "ok" } });
});

test("cluster.nodeName names the node in /readyz", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, cluster: { nodeName: "node-a.1" } });
  t.after(() => server.stop());
  assert.equal((await readyz(server.httpPort)).body.node, "node-a.1");
});

/** Sends all of a request to /readyz but its last CRLF: the connection is busy, so a stopping server keeps it. */
function halfSentReadyz(port: number): Promise<{ finish(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => {
      socket.write("GET /readyz HTTP/1.1\r\nHost: test\r\n");
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (data += chunk));
      const closed = new Promise<string>((done) => socket.on("close", () => done(data)));
      resolve({
        finish: async () => {
          socket.write("Connection: close\r\n\r\n");
          return closed;
        },
      });
    });
    socket.on("error", reject);
  });
}

test("once stop() has begun, /readyz answers 503 problem+json 'stopping' (a load balancer drains the node)", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, server: { shutdownTimeoutSeconds: 3 } });
  let stopped: Promise<void> | null = null;
  t.after(() => stopped ?? server.stop());
  assert.equal((await readyz(server.httpPort)).status, 200, "ready before");
  // A request already on its way when the listeners close is still answered: that is the one that sees "stopping".
  const pending = await halfSentReadyz(server.httpPort);
  // Give the server time to see the request begin (then the connection is busy, not idle).
  await new Promise((done) => setTimeout(done, 100));
  stopped = server.stop();
  const raw = await pending.finish();
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  assert.match(head, /^HTTP\/1\.1 503 /);
  assert.match(head, /\r\ncontent-type: application\/problem\+json/i);
  const problem = JSON.parse(body) as Readyz["body"];
  assert.equal(problem.type, "urn:cmymessage:problem:not-ready");
  assert.equal(problem.status, 503);
  assert.match(problem.detail ?? "", /^stopping: /);
  assert.equal(problem.node, hostname());
  await stopped;
});

forEachDatabase(
  "readiness when the database fails",
  () => {
    async function behindProxy(t: TestContext): Promise<{ port: number; proxy: TcpProxy }> {
      const base = new URL(postgresBaseUrl()!);
      const home = await createHome(t, "postgres");
      const proxy = await TcpProxy.start(base.hostname || "127.0.0.1", Number(base.port || 5432));
      home.track(() => proxy.close());
      const server = await bootServer(home, { database: { url: postgresUrlVia(home, "127.0.0.1", proxy.port) }, http: { listen: ["127.0.0.1:0"] }, cluster: { nodeName: "db-test" } });
      home.track(async () => {
        // The server's queries must be able to finish for it to stop.
        proxy.restore();
        await server.stop();
      });
      return { port: server.http[0]!.port, proxy };
    }

    test("cut off: 503 problem+json naming 'database' and why, at once; back: 200 again by itself", async (t) => {
      const { port, proxy } = await behindProxy(t);
      assert.equal((await readyz(port)).status, 200);
      proxy.cut();
      const down = await readyz(port);
      assert.equal(down.status, 503);
      assert.match(down.contentType, /^application\/problem\+json/);
      assert.equal(down.cacheControl, "no-store");
      assert.equal(down.body.type, "urn:cmymessage:problem:not-ready");
      assert.equal(down.body.node, "db-test");
      assert.match(down.body.detail ?? "", /^database: \S/, `detail names the check and its reason: ${down.body.detail}`);
      assert.notEqual(down.body.checks["database"], "ok");
      assert.equal(down.body.detail, `database: ${down.body.checks["database"]}`);

      proxy.restore();
      const back = await waitFor(async () => {
        const reply = await readyz(port);
        return reply.status === 200 ? reply : null;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      assert.deepEqual(back.body, { status: "ready", node: "db-test", checks: { database: "ok" } });
    });

    test("hung (the database accepts but never answers): 503 within the probe timeout, not a hang; several checks at once all answer", async (t) => {
      const { port, proxy } = await behindProxy(t);
      assert.equal((await readyz(port)).status, 200);
      proxy.stall();
      const replies = await Promise.all([readyz(port), readyz(port), readyz(port)]);
      for (const reply of replies) {
        assert.equal(reply.status, 503);
        assert.equal(reply.body.checks["database"], `no answer within ${READINESS_PROBE_TIMEOUT_MS} ms`);
        assert.equal(reply.body.detail, `database: no answer within ${READINESS_PROBE_TIMEOUT_MS} ms`);
        assert.ok(reply.ms >= READINESS_PROBE_TIMEOUT_MS - 100 && reply.ms < READINESS_PROBE_TIMEOUT_MS + 1500, `answered after ${reply.ms} ms`);
      }
      proxy.restore();
      await waitFor(async () => (await readyz(port)).status === 200, { timeoutMs: 15_000, intervalMs: 200 });
    });
  },
  ["postgres"],
);
