/**
 * The Web Push sender against a local push service: what each answer means for the
 * subscription, a deadline per request, at most N requests at once in the order asked,
 * a bounded wait list, no request at all to a non-public address unless allowed, and
 * log lines that never show an endpoint's path (it is a capability).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { createECDH, randomBytes } from "node:crypto";
import { pino } from "pino";
import { WebPushSender, type SenderSettings } from "../../src/push/web-push-sender.js";
import { loadVapidKeys } from "../../src/push/vapid-keys.js";
import type { PushSubscription } from "../../src/core/push/ports.js";
import { waitFor } from "../support/wait.js";

interface Service {
  readonly origin: string;
  /** Requests received, by path, in arrival order. */
  readonly paths: string[];
  connections: number;
  open: number;
  maxOpen: number;
  /** Answers held back (status 0 paths), released one at a time in arrival order. */
  releaseOne(): void;
}

/** `/status/<n>` answers n; `/hold/<x>` waits for releaseOne(); `/silent` never answers. */
async function pushService(t: TestContext): Promise<Service> {
  const held: http.ServerResponse[] = [];
  const service: Service = {
    origin: "",
    paths: [],
    connections: 0,
    open: 0,
    maxOpen: 0,
    releaseOne: () => held.shift()?.writeHead(201).end(),
  };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      service.paths.push(request.url ?? "");
      service.open++;
      service.maxOpen = Math.max(service.maxOpen, service.open);
      response.on("finish", () => service.open--);
      const status = /^\/status\/(\d+)$/.exec(request.url ?? "");
      if (status) response.writeHead(Number(status[1])).end();
      else if (request.url?.startsWith("/hold/")) held.push(response);
    });
  });
  server.on("connection", () => service.connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (service as { origin: string }).origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return service;
}

function subscription(endpoint: string): PushSubscription {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { account: "alice", endpoint, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") } };
}

async function sender(t: TestContext, settings: Partial<SenderSettings> = {}): Promise<{ sender: WebPushSender; logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (logs.push(chunk.toString()), done()) });
  const vapid = await loadVapidKeys(async (_name, make) => make());
  const all: SenderSettings = { subject: "mailto:admin@example.org", ttlSeconds: 60, timeoutMs: 5000, maxConcurrent: 4, maxQueued: 100, allowPrivate: true, ...settings };
  const result = new WebPushSender(vapid, () => all, pino({ level: "info" }, sink));
  t.after(() => result.stop());
  return { sender: result, logs };
}

test("2xx is delivered, 404 and 410 mean gone, anything else failed (429 and 5xx logged, never retried)", async (t) => {
  const service = await pushService(t);
  const { sender: s, logs } = await sender(t);
  const outcomes: Record<number, string> = {};
  for (const status of [201, 200, 404, 410, 400, 403, 413, 429, 500, 503]) {
    outcomes[status] = await s.send(subscription(`${service.origin}/status/${status}`), "PRIVMSG alice :hi");
  }
  assert.deepEqual(outcomes, { 200: "delivered", 201: "delivered", 404: "gone", 410: "gone", 400: "failed", 403: "failed", 413: "failed", 429: "failed", 500: "failed", 503: "failed" });
  assert.equal(service.paths.length, 10, "one request each: nothing retried");
  assert.ok(logs.some((line) => /HTTP 429.*not retried/.test(line)));
  assert.ok(logs.some((line) => /HTTP 503/.test(line)));
  assert.ok(logs.every((line) => !line.includes("/status/")), "logs show the push service's origin, never the endpoint's path");
});

test("a push service that does not answer in time is abandoned", async (t) => {
  const service = await pushService(t);
  const { sender: s } = await sender(t, { timeoutMs: 200 });
  assert.equal(await s.send(subscription(`${service.origin}/silent`), "x"), "failed");
});

test("at most maxConcurrent requests run at once, started in the order they were asked for", async (t) => {
  const service = await pushService(t);
  const { sender: s } = await sender(t, { maxConcurrent: 2 });
  const sent = [1, 2, 3, 4, 5].map((n) => s.send(subscription(`${service.origin}/hold/${n}`), "x"));
  await waitFor(() => service.paths.length === 2, { what: "the first two requests" });
  for (let n = 1; n <= 5; n++) {
    service.releaseOne();
    assert.equal(await sent[n - 1], "delivered");
    // The freed slot goes to the next one waiting, and only to it.
    await waitFor(() => service.paths.length === Math.min(5, n + 2) && service.open === Math.min(2, 5 - n), { what: `request ${n + 2} started` });
  }
  assert.deepEqual(await Promise.all(sent), ["delivered", "delivered", "delivered", "delivered", "delivered"]);
  assert.equal(service.maxOpen, 2);
  assert.deepEqual(service.paths, ["/hold/1", "/hold/2", "/hold/3", "/hold/4", "/hold/5"]);
});

test("past maxQueued waiting, a notification is dropped (failed, logged) instead of queued", async (t) => {
  const service = await pushService(t);
  const { sender: s, logs } = await sender(t, { maxConcurrent: 1, maxQueued: 1 });
  const first = s.send(subscription(`${service.origin}/hold/1`), "x");
  const second = s.send(subscription(`${service.origin}/hold/2`), "x");
  assert.equal(await s.send(subscription(`${service.origin}/hold/3`), "x"), "failed");
  assert.ok(logs.some((line) => /dropped/.test(line)));
  await waitFor(() => service.open === 1, { what: "the first request open" });
  service.releaseOne();
  await waitFor(() => service.paths.length === 2, { what: "the second request" });
  service.releaseOne();
  assert.deepEqual([await first, await second], ["delivered", "delivered"]);
  assert.deepEqual(service.paths, ["/hold/1", "/hold/2"]);
});

test("without allowPrivate no request reaches a loopback service, by address or by a name resolving to it", async (t) => {
  const service = await pushService(t);
  const { sender: s, logs } = await sender(t, { allowPrivate: false });
  const port = new URL(service.origin).port;
  for (const endpoint of [`${service.origin}/status/201`, `https://127.0.0.1:${port}/status/201`, `https://localhost:${port}/status/201`, `https://[::ffff:127.0.0.1]:${port}/status/201`]) {
    assert.equal(await s.send(subscription(endpoint), "x"), "failed", endpoint);
  }
  assert.equal(service.connections, 0, "not even a TCP connection");
  assert.ok(logs.some((line) => /non-public address/.test(line)), "the name check at connect time said why");
});
