import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startTestServer } from "../support/test-server.js";
import { ApiClient, isProblem } from "../support/http-client.js";
import { waitFor } from "../support/wait.js";

function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (data += chunk));
    socket.on("error", () => {});
    socket.on("close", () => resolve(data));
    socket.write(request);
  });
}

test("the body limit is configurable", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"], bodyLimitBytes: 1024 } });
  t.after(() => server.stop());
  const api = ApiClient.forPort(server.httpPort);
  const reply = await api.post("/api/v1/auth/login", { name: "alice", password: "p".repeat(2000) });
  assert.ok(isProblem(reply, 413));
  assert.ok(isProblem(await api.post("/api/v1/auth/login", { name: "alice", password: "p".repeat(500) }), 401));
});

test("HTTP connections count against the shared per-address limit; one over it gets a 503 problem", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, limits: { connectionsPerIp: 2 } });
  t.after(() => server.stop());
  // One IRC connection and one idle HTTP connection fill the two slots.
  const irc = net.connect({ port: server.port, host: "127.0.0.1" });
  const idle = net.connect({ port: server.httpPort, host: "127.0.0.1" });
  await Promise.all([new Promise((r) => irc.once("connect", r)), new Promise((r) => idle.once("connect", r))]);
  t.after(() => {
    irc.destroy();
    idle.destroy();
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const answer = await rawRequest(server.httpPort, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  // The refusal is written before the socket is destroyed; a reset may still eat it, never an answer from the app.
  assert.doesNotMatch(answer, /"status":"ok"/);
  if (answer) assert.match(answer, /^HTTP\/1\.1 503 [^]*application\/problem\+json[^]*"status":503/);

  // Once the server has seen the idle connection close, its slot is free: asked again until then.
  idle.destroy();
  const freed = await waitFor(
    async () => {
      const reply = await rawRequest(server.httpPort, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      return /^HTTP\/1\.1 200 /.test(reply) && reply;
    },
    { what: "a slot freed by the closed connection" },
  );
  assert.match(freed, /"status":"ok"/);
});

test("HTTP off by configuration: nothing listens and no signing key is made", async (t) => {
  const server = await startTestServer({});
  t.after(() => server.stop());
  assert.deepEqual(server.server.http, []);
  assert.equal(server.httpPort, 0);
  const { existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  assert.equal(existsSync(join(server.dataDir, "keys")), false);
});

test("a configured key file is used; a non-Ed25519 key is refused at start", async (t) => {
  const { generateKeyPairSync } = await import("node:crypto");
  const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "cmy-key-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ed = join(dir, "ed.pem");
  await writeFile(ed, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"], jwtKeyFile: ed } });
  const api = ApiClient.forPort(server.httpPort);
  const session = await api.register("alice");
  assert.equal((await api.get("/api/v1/me", session.tokens.accessToken)).status, 200);
  await server.stop();

  const rsa = join(dir, "rsa.pem");
  await writeFile(rsa, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await assert.rejects(startTestServer({ http: { listen: ["127.0.0.1:0"], jwtKeyFile: rsa } }), /must be Ed25519/);
});

test("bytes that are not HTTP, and oversized headers, get problem+json too", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  t.after(() => server.stop());
  const garbage = await rawRequest(server.httpPort, "HELLO THERE\r\n\r\n");
  assert.match(garbage, /^HTTP\/1\.1 400 [^]*application\/problem\+json[^]*"status":400/);
  const huge = await rawRequest(server.httpPort, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 [^]*"status":431/);
});
