/**
 * A request that asks to switch to a protocol this server does not speak — `Upgrade: h2c`,
 * which curl --http2 sends with every http:// request — is answered over HTTP/1.1 as if it
 * had not asked (RFC 9110 §7.8), by the same routes as any other, body included: only
 * `Upgrade: websocket` is an upgrade. Through curl and raw sockets against the real server.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { curl, type CurlReply } from "../support/curl.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const problemType = (reply: CurlReply): string => (JSON.parse(reply.body.toString("utf8")) as { type: string }).type;

/** Writes `data` at once and resolves with all that came back once the server has closed the connection. */
function exchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" }, () => socket.write(data));
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

describe("Upgrade to a protocol other than WebSocket", () => {
  let server: TestServer;
  let base: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    base = `http://127.0.0.1:${server.httpPort}`;
    await ApiClient.forPort(server.httpPort).register("upgrader");
  });
  after(() => server.stop());

  test("curl --http2 (Upgrade: h2c) gets the routes' own answers over HTTP/1.1: health, a 401, a login with its body", async () => {
    const health = await curl(["--http2", `${base}/healthz`]);
    assert.equal(health.status, 200, health.body.toString());
    assert.deepEqual(JSON.parse(health.body.toString("utf8")), { status: "ok" });
    assert.equal(health.headers.get("x-content-type-options"), "nosniff");

    const me = await curl(["--http2", `${base}/api/v1/me`]);
    assert.equal(me.status, 401, me.body.toString());
    assert.equal(problemType(me), "urn:cmymessage:problem:unauthenticated");

    const login = await curl(["--http2", "-H", "Content-Type: application/json", "--data-binary", JSON.stringify({ name: "upgrader", password: PASSWORD }), `${base}/api/v1/auth/login`]);
    assert.equal(login.status, 200, login.body.toString());
    assert.match(login.body.toString("utf8"), /"accessToken"/);
    assert.equal(login.headers.get("cache-control"), "no-store");
  });

  test("GET /ws with Upgrade: h2c is no WebSocket handshake: the API's 404 problem, as without an Upgrade", async () => {
    const reply = await curl(["--http2", `${base}/ws`]);
    assert.equal(reply.status, 404, reply.body.toString());
    assert.equal(reply.headers.get("content-type"), "application/problem+json; charset=utf-8");
    assert.equal(problemType(reply), "urn:cmymessage:problem:not-found");
    assert.equal(reply.headers.get("x-content-type-options"), "nosniff");
  });

  test("the answer closes the connection: a request pipelined behind it is left for the client to send again, never waited on", async () => {
    const asking = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n";
    const received = await exchange(server.httpPort, `${asking}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
    const answers = received.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
    assert.deepEqual(answers, ["HTTP/1.1 200"], received);
    assert.match(received, /\r\nconnection: close\r\n/i);
    assert.doesNotMatch(received, /\r\nupgrade:/i, "no switch was offered");
  });
});
