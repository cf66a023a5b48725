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

/** An answer read off the wire: its status line's code, headers (names in lower case) and body. */
function parseAnswer(answer: string): { status: number; headers: Map<string, string>; body: string } {
  const end = answer.indexOf("\r\n\r\n");
  const [statusLine = "", ...lines] = answer.slice(0, end === -1 ? answer.length : end).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0), headers, body: end === -1 ? "" : answer.slice(end + 4) };
}

function assertProblemAnswer(answer: string, status: number, what: string): void {
  const parsed = parseAnswer(answer);
  assert.equal(parsed.status, status, `${what}: status (answer: ${JSON.stringify(answer.slice(0, 200))})`);
  assert.match(parsed.headers.get("content-type") ?? "", /^application\/problem\+json(;|$)/, `${what}: Content-Type`);
  assert.equal(parsed.headers.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(parsed.headers.get("referrer-policy"), "no-referrer", `${what}: Referrer-Policy`);
  assert.ok(parsed.headers.get("content-security-policy"), `${what}: Content-Security-Policy`);
  assert.equal((JSON.parse(parsed.body) as { status: number }).status, status, `${what}: problem status`);
}

test("what Node's HTTP parser refuses on its own is a problem with the security headers too", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  t.after(() => server.stop());
  const port = server.httpPort;
  const upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  const cases: ReadonlyArray<readonly [string, number, string]> = [
    ["HTTP/1.1 without Host", 400, "GET /api/v1/me HTTP/1.1\r\n\r\n"],
    ["HTTP/1.1 without Host, expecting 100-continue", 400, "POST /api/v1/auth/login HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"],
    ["two Host headers", 400, "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"],
    ["a WebSocket handshake without Host", 400, `GET /ws HTTP/1.1\r\n${upgrade}\r\n`],
    ["a WebSocket handshake with two Host headers", 400, `GET /ws HTTP/1.1\r\nHost: a\r\nHost: b\r\n${upgrade}\r\n`],
    ["an expectation other than 100-continue", 417, "GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nConnection: close\r\n\r\n"],
    ["CONNECT", 405, "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n"],
    ["HTTP/2.0 in an HTTP/1 request line", 505, "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"],
    ["HTTP/0.9", 505, "GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n"],
    ["HTTP/3.0", 505, "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n"],
    ["the HTTP/2 connection preface", 505, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
  ];
  for (const [what, status, request] of cases) {
    await t.test(what, async () => assertProblemAnswer(await rawRequest(port, request), status, what));
  }

  // What is allowed stays allowed: HTTP/1.0 needs no Host, and 100-continue still gets its interim answer.
  assert.match(await rawRequest(port, "GET /healthz HTTP/1.0\r\n\r\n"), /^HTTP\/1\.1 200 [^]*"status":"ok"/);
  const body = JSON.stringify({ name: "alice", password: "wrong password" });
  const answer = await new Promise<string>((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (data === "HTTP/1.1 100 Continue\r\n\r\n") socket.write(body);
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(data));
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        "Expect: 100-continue\r\nConnection: close\r\n\r\n",
    );
  });
  assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  assertProblemAnswer(answer.slice("HTTP/1.1 100 Continue\r\n\r\n".length), 401, "a login after 100 Continue");
});
