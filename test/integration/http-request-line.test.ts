/**
 * A request whose head passes Node's limit (16 KiB for the request line and the headers
 * together), through a raw socket against the real server: a request target over it is
 * 414 (RFC 9110 §15.5.15), headers over it 431 (RFC 6585 §5), each as a problem and the
 * only answer that request gets, after the answers to the requests before it.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../support/test-server.js";

const LONG = "a".repeat(20_000);

/** Writes each part (pausing between them), and resolves with what came back once the server has closed the connection. */
async function exchange(port: number, parts: readonly string[], pauseMs = 100): Promise<string> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => {});
  const closed = new Promise((resolve) => socket.once("close", resolve));
  await new Promise((resolve) => socket.once("connect", resolve));
  for (const part of parts) {
    if (!socket.destroyed) socket.write(part);
    await sleep(pauseMs);
  }
  await closed;
  return received;
}

/** Each answer's status, and its problem type if it is a problem, in the order they came (each framed by Content-Length). */
function answered(received: string): string[] {
  const answers: string[] = [];
  let at = 0;
  for (let end = received.indexOf("\r\n\r\n"); end !== -1; end = received.indexOf("\r\n\r\n", at)) {
    const head = received.slice(at, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    const body = received.slice(end + 4, end + 4 + length);
    const type = /^application\/problem\+json/im.test(/\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? "") ? (JSON.parse(body) as { type: string }).type : "";
    answers.push(`${/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? "?"} ${type}`.trim());
    at = end + 4 + length;
  }
  return answers;
}

describe("a request head over Node's 16 KiB limit", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  });
  after(() => server.stop());

  const healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const longTarget = `GET /${LONG} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const longHeader = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${LONG}\r\n\r\n`;
  const ok = "200";
  const uriTooLong = "414 urn:cmymessage:problem:uri-too-long";
  const headersTooLarge = "431 about:blank";

  test("a request target over it is 414 uri-too-long: on a new connection, after a kept-alive request and behind a pipelined one", async () => {
    assert.deepEqual(answered(await exchange(server.httpPort, [longTarget])), [uriTooLong]);
    assert.deepEqual(answered(await exchange(server.httpPort, [healthz, longTarget])), [ok, uriTooLong]);
    assert.deepEqual(answered(await exchange(server.httpPort, [healthz + longTarget])), [ok, uriTooLong]);
  });

  test("headers over it stay 431, wherever the request is", async () => {
    assert.deepEqual(answered(await exchange(server.httpPort, [longHeader])), [headersTooLarge]);
    assert.deepEqual(answered(await exchange(server.httpPort, [healthz, longHeader])), [ok, headersTooLarge]);
    assert.deepEqual(answered(await exchange(server.httpPort, [healthz + longHeader])), [ok, headersTooLarge]);
    // Under the limit by itself, a target the headers then take over it: the headers are what is too large.
    const both = `GET /${"a".repeat(10_000)} HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(10_000)}\r\n\r\n`;
    assert.deepEqual(answered(await exchange(server.httpPort, [both])), [headersTooLarge]);
  });
});
