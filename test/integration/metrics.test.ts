import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient } from "../support/http-client.js";
import { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";
import { parsePrometheusText, sampleValue, type Exposition } from "../support/prometheus-text.js";

async function scrape(port: number): Promise<{ status: number; contentType: string; exposition: Exposition | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await response.text();
  const contentType = response.headers.get("content-type") ?? "";
  return { status: response.status, contentType, exposition: response.status === 200 ? parsePrometheusText(text) : null };
}

async function metricsOf(port: number): Promise<Exposition> {
  const { status, exposition } = await scrape(port);
  assert.equal(status, 200);
  return exposition!;
}

describe("GET /metrics on the HTTP listener", () => {
  let server: TestServer;
  let api: ApiClient;
  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    api = ApiClient.forPort(server.httpPort);
  });
  after(() => server.stop());

  test("is the Prometheus text format, every line parses, with the process's default metrics", async () => {
    const { status, contentType, exposition } = await scrape(server.httpPort);
    assert.equal(status, 200);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.ok(exposition!.samples.length > 20);
    for (const name of ["cmymessage_nodejs_eventloop_lag_seconds", "cmymessage_process_cpu_seconds_total", "cmymessage_process_resident_memory_bytes"]) {
      assert.ok(sampleValue(exposition!, name) !== undefined, `${name} is exposed`);
    }
    assert.equal(exposition!.types.get("cmymessage_nodejs_gc_duration_seconds"), "histogram");
    assert.equal(exposition!.types.get("cmymessage_messages_sent_total"), "counter");
    assert.equal(exposition!.types.get("cmymessage_history_write_seconds"), "histogram");
    assert.equal(exposition!.types.get("cmymessage_irc_sendq_exceeded_total"), "counter");
    // Every metric of ours carries the prefix.
    for (const name of exposition!.types.keys()) assert.match(name, /^cmymessage_/);
  });

  test("counts logins by service and outcome", async () => {
    await api.register("metricsalice");
    const failed = await api.login("metricsalice", "not the password at all");
    assert.equal(failed.status, 401);
    const ok = await api.login("metricsalice");
    assert.equal(ok.status, 200);
    const exposition = await metricsOf(server.httpPort);
    assert.equal(sampleValue(exposition, "cmymessage_logins_total", { service: "http", outcome: "failed" }), 1);
    assert.equal(sampleValue(exposition, "cmymessage_logins_total", { service: "http", outcome: "ok" }), 1);
  });

  test("counts messages, history writes, users, channels and IRC connections", async () => {
    const before = await metricsOf(server.httpPort);
    assert.equal(sampleValue(before, "cmymessage_messages_sent_total", { kind: "privmsg", conversation: "channel" }) ?? 0, 0);
    const writesBefore = sampleValue(before, "cmymessage_history_write_seconds_count") ?? 0;
    const alice = await RawClient.register(server.port, "mAlice");
    const bob = await RawClient.register(server.port, "mBob");
    try {
      await bob.waitFor(/JOIN :?#general/);
      alice.send("PRIVMSG #general :hello metrics");
      alice.send("NOTICE mBob :a direct notice");
      await bob.waitFor(/PRIVMSG #general :hello metrics/);
      await bob.waitFor(/NOTICE mBob :a direct notice/);
      const after = await waitFor(async () => {
        const exposition = await metricsOf(server.httpPort);
        return (sampleValue(exposition, "cmymessage_history_write_seconds_count") ?? 0) > writesBefore && exposition;
      });
      assert.equal(sampleValue(after, "cmymessage_messages_sent_total", { kind: "privmsg", conversation: "channel" }), 1);
      assert.equal(sampleValue(after, "cmymessage_messages_sent_total", { kind: "notice", conversation: "direct" }), 1);
      assert.equal(sampleValue(after, "cmymessage_connections", { service: "irc" }), 2);
      assert.equal(sampleValue(after, "cmymessage_connections", { service: "ftp" }), 0);
      assert.ok(sampleValue(after, "cmymessage_users_online")! >= 2);
      assert.ok(sampleValue(after, "cmymessage_channels")! >= 1);
      assert.ok(sampleValue(after, "cmymessage_connections_admitted")! >= 2);
      assert.ok(sampleValue(after, "cmymessage_history_write_seconds_sum")! > 0);
    } finally {
      alice.close();
      bob.close();
    }
    const gone = await waitFor(async () => {
      const exposition = await metricsOf(server.httpPort);
      return sampleValue(exposition, "cmymessage_connections", { service: "irc" }) === 0 && exposition;
    });
    assert.equal(sampleValue(gone, "cmymessage_connections", { service: "irc" }), 0);
  });

  test("counts a client dropped for SendQ exceeded", async () => {
    // A tiny send queue and a client that never reads; a channel message is not echoed, so only the reader fills up.
    const small = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, irc: { sendQueueBytes: 4096 } });
    try {
      const reader = await RawClient.register(small.port, "mReader");
      reader.socket.pause();
      const sender = await RawClient.register(small.port, "mSender");
      try {
        // Bounded: 400 lines of ~400 bytes is far past 4096 bytes plus the socket buffers.
        const text = "x".repeat(380);
        for (let i = 0; i < 400; i++) sender.send(`PRIVMSG #general :${text}`);
        const exposition = await waitFor(async () => {
          const scraped = await metricsOf(small.httpPort);
          return (sampleValue(scraped, "cmymessage_irc_sendq_exceeded_total") ?? 0) >= 1 && scraped;
        });
        assert.equal(sampleValue(exposition, "cmymessage_irc_sendq_exceeded_total"), 1);
        // Only the reader was dropped: the sender is still connected.
        await waitFor(async () => sampleValue(await metricsOf(small.httpPort), "cmymessage_connections", { service: "irc" }) === 1);
        sender.send("PING :still-here");
        await sender.waitFor(/PONG .*still-here/);
      } finally {
        sender.close();
        reader.close();
      }
    } finally {
      await small.stop();
    }
  });
});

describe("metrics.listen and metrics.enabled", () => {
  test("with metrics.listen, /metrics is served there and not on the web door", async () => {
    const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, metrics: { listen: ["127.0.0.1:0"] } });
    try {
      const port = server.server.metrics[0]?.port ?? 0;
      assert.notEqual(port, 0);
      const own = await scrape(port);
      assert.equal(own.status, 200);
      assert.match(own.contentType, /^text\/plain; version=0\.0\.4/);
      assert.ok(sampleValue(own.exposition!, "cmymessage_users_online") !== undefined);
      assert.equal((await scrape(server.httpPort)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      await server.stop();
    }
  });

  test("metrics.enabled false serves no /metrics", async () => {
    const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, metrics: { enabled: false, listen: ["127.0.0.1:0"] } });
    try {
      assert.deepEqual(server.server.metrics, []);
      assert.equal((await scrape(server.httpPort)).status, 404);
    } finally {
      await server.stop();
    }
  });
});
