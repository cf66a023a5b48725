import { after, before, describe, test } from "node:test";
import { readFile } from "node:fs/promises";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, sharedHttpServer } from "../support/http-client.js";
import { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";
import { parsePrometheusText, sampleValue, type Exposition } from "../support/prometheus-text.js";
import { connectData, FtpControl, startUpload } from "../support/ftp-client.js";
import { WsIrcClient } from "../support/ws-irc-client.js";
import { SASL_END, plainPayload, saslPlain, sendAuthenticateData, startMechanism } from "../support/sasl.js";
import { ScramSha256Client, scramLogin } from "../support/scram-client.js";

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

/** The sum of every sample of `name` whose labels include `labels` (0 when there is none). */
function total(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describe("GET /metrics on the HTTP listener", () => {
  const http = sharedHttpServer();

  test("is the Prometheus text format, every line parses, with the process's default metrics", async () => {
    const { status, contentType, exposition } = await scrape(http.server.httpPort);
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

  test("every series the Grafana dashboard (deploy/grafana-dashboard.json) and docs/operations.md#metrics name is exposed", async () => {
    const exposition = await metricsOf(http.server.httpPort);
    // A family (`# TYPE`) or a sample: a labelled counter nothing has touched yet has only its TYPE line.
    const exposed = new Set([...exposition.samples.map((s) => s.name), ...exposition.types.keys()]);
    const dashboard = await readFile(new URL("../../deploy/grafana-dashboard.json", import.meta.url), "utf8");
    const operations = await readFile(new URL("../../docs/operations.md", import.meta.url), "utf8");
    const docs = operations.slice(operations.indexOf("## Metrics"), operations.indexOf("## Logs"));
    const named = new Set([...`${dashboard}\n${docs}`.matchAll(/cmymessage_[a-z0-9_]+[a-z0-9]/g)].map((m) => m[0]));
    // The docs' table names families by prefix (`cmymessage_process_*`): those are checked by the first test.
    const families = [...named].filter((name) => !/_$/.test(name) && !["cmymessage_nodejs_eventloop_lag", "cmymessage_nodejs_heap", "cmymessage_process"].includes(name));
    assert.ok(families.length >= 10, families.join(" "));
    for (const name of families) assert.ok(exposed.has(name), `${name} is exposed`);
  });

  test("counts logins by service and outcome", async () => {
    await http.api.register("metricsalice");
    const failed = await http.api.login("metricsalice", "not the password at all");
    assert.equal(failed.status, 401);
    const ok = await http.api.login("metricsalice");
    assert.equal(ok.status, 200);
    const exposition = await metricsOf(http.server.httpPort);
    assert.equal(sampleValue(exposition, "cmymessage_logins_total", { service: "http", method: "password", outcome: "failed" }), 1);
    assert.equal(sampleValue(exposition, "cmymessage_logins_total", { service: "http", method: "password", outcome: "ok" }), 1);
  });

  test("counts messages, history writes, users, channels and IRC connections", async () => {
    const before = await metricsOf(http.server.httpPort);
    assert.equal(sampleValue(before, "cmymessage_messages_sent_total", { kind: "privmsg", conversation: "channel" }) ?? 0, 0);
    const writesBefore = sampleValue(before, "cmymessage_history_write_seconds_count") ?? 0;
    const alice = await RawClient.register(http.server.port, "mAlice");
    const bob = await RawClient.register(http.server.port, "mBob");
    try {
      await bob.waitFor(/JOIN :?#general/);
      alice.send("PRIVMSG #general :hello metrics");
      alice.send("NOTICE mBob :a direct notice");
      await bob.waitFor(/PRIVMSG #general :hello metrics/);
      await bob.waitFor(/NOTICE mBob :a direct notice/);
      const after = await waitFor(async () => {
        const exposition = await metricsOf(http.server.httpPort);
        return (sampleValue(exposition, "cmymessage_history_write_seconds_count") ?? 0) > writesBefore && exposition;
      });
      assert.equal(sampleValue(after, "cmymessage_messages_sent_total", { kind: "privmsg", conversation: "channel" }), 1);
      assert.equal(sampleValue(after, "cmymessage_messages_sent_total", { kind: "notice", conversation: "direct" }), 1);
      assert.equal(sampleValue(after, "cmymessage_connections", { service: "irc", transport: "tcp" }), 2);
      assert.equal(total(after, "cmymessage_connections", { service: "ftp" }), 0);
      assert.ok(sampleValue(after, "cmymessage_users_online")! >= 2);
      assert.ok(sampleValue(after, "cmymessage_channels")! >= 1);
      assert.ok(sampleValue(after, "cmymessage_connections_admitted")! >= 2);
      assert.ok(sampleValue(after, "cmymessage_history_write_seconds_sum")! > 0);
    } finally {
      alice.close();
      bob.close();
    }
    const gone = await waitFor(async () => {
      const exposition = await metricsOf(http.server.httpPort);
      return total(exposition, "cmymessage_connections", { service: "irc" }) === 0 && exposition;
    });
    assert.equal(total(gone, "cmymessage_connections", { service: "irc" }), 0);
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
        await waitFor(async () => total(await metricsOf(small.httpPort), "cmymessage_connections", { service: "irc" }) === 1);
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

// ── logins through every door ────────────────────────────────────────────────

type Seen = "ok" | "failed" | "throttled";
const THROTTLED = /too many failed/i;

/** A raw IRC client with `sasl` negotiated, not registered. */
async function saslReady(port: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  client.send("CAP LS 302");
  client.send("CAP REQ :sasl");
  await client.waitFor(/ CAP \* ACK /);
  return client;
}

/** What a SASL exchange's last numeric told the client. */
function saslSeen(raw: string): Seen {
  if (/ 903 /.test(raw)) return "ok";
  return THROTTLED.test(raw) ? "throttled" : "failed";
}

/** One login attempt through one door, on a connection of its own; resolves with what the client saw. */
type Door = (name: string, password: string) => Promise<Seen>;

function doors(server: TestServer): Record<string, Door> {
  const withClient = async <T>(client: RawClient | FtpControl, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } finally {
      client.close();
    }
  };
  return {
    "irc sasl-plain": async (name, password) => {
      const client = await saslReady(server.port);
      return withClient(client, async () => saslSeen((await saslPlain(client, name, password)).raw));
    },
    "irc sasl-scram": async (name, password) => {
      const client = await saslReady(server.port);
      return withClient(client, async () => saslSeen((await scramLogin(client, new ScramSha256Client(name, password))).end.raw));
    },
    "irc pass": async (name, password) => {
      const client = await RawClient.connect(server.port);
      return withClient(client, async () => {
        client.send(`PASS :${name}:${password}`);
        client.send("NICK passer");
        client.send("USER passer 0 * :p");
        await client.waitFor(/ 001 /);
        if (client.lines.some((l) => / 900 /.test(l))) return "ok";
        return THROTTLED.test(await client.waitFor(/PASS login failed/)) ? "throttled" : "failed";
      });
    },
    "irc nickserv": async (name, password) => {
      const client = await RawClient.register(server.port, "identifier");
      return withClient(client, async () => {
        client.send(`PRIVMSG NickServ :IDENTIFY ${name} ${password}`);
        const reply = await client.waitFor(/NOTICE identifier :(You are now logged in|Invalid account|Too many failed)/);
        return /now logged in/.test(reply) ? "ok" : THROTTLED.test(reply) ? "throttled" : "failed";
      });
    },
    "ftp password": async (name, password) => {
      const control = await FtpControl.connect(server.ftpPort);
      return withClient(control, async () => {
        await control.command(`USER ${name}`);
        const reply = await control.command(`PASS ${password}`);
        return reply.code === 230 ? "ok" : reply.code === 421 ? "throttled" : "failed";
      });
    },
    "http password": async (name, password) => {
      const reply = await ApiClient.forPort(server.httpPort).login(name, password);
      return reply.status === 200 ? "ok" : reply.status === 429 ? "throttled" : "failed";
    },
  };
}

function loginCounts(exposition: Exposition, door: string): Record<Seen, number> {
  const [service, method] = door.split(" ") as [string, string];
  const count = (outcome: Seen): number => sampleValue(exposition, "cmymessage_logins_total", { service, method, outcome }) ?? 0;
  return { ok: count("ok"), failed: count("failed"), throttled: count("throttled") };
}

function difference(after: Record<Seen, number>, before: Record<Seen, number>): Record<Seen, number> {
  return { ok: after.ok - before.ok, failed: after.failed - before.failed, throttled: after.throttled - before.throttled };
}

describe("cmymessage_logins_total counts every door's attempts once, by service, method and outcome", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      http: { listen: ["127.0.0.1:0"] },
      ftp: { listen: ["127.0.0.1:0"] },
      // Two failures on an account from an address hold the next attempt back for a minute: long past this test.
      auth: { bruteForce: { backoffBaseSeconds: 60, backoffMaxSeconds: 60, accountFailuresPerSecond: 100 } },
    });
  });
  after(() => server.stop());

  for (const door of ["irc sasl-plain", "irc sasl-scram", "irc pass", "irc nickserv", "ftp password", "http password"]) {
    test(`${door}: right, wrong, wrong, then throttled`, async () => {
      const name = `m${door.replace(/[^a-z]/g, "").slice(0, 12)}`;
      await ApiClient.forPort(server.httpPort).register(name);
      const login = doors(server)[door]!;
      const before = loginCounts(await metricsOf(server.httpPort), door);
      const seen = [await login(name, PASSWORD), await login(name, "a wrong password"), await login(name, "another wrong one"), await login(name, PASSWORD)];
      assert.deepEqual(seen, ["ok", "failed", "failed", "throttled"]);
      const after = loginCounts(await metricsOf(server.httpPort), door);
      assert.deepEqual(difference(after, before), { ok: 1, failed: 2, throttled: 1 });
    });
  }

  test("irc sasl-oauthbearer: a valid token, a forged one and a malformed message; never throttled", async () => {
    const session = await ApiClient.forPort(server.httpPort).register("mbearer");
    const door = "irc sasl-oauthbearer";
    const before = loginCounts(await metricsOf(server.httpPort), door);
    const attempt = async (message: string): Promise<Seen> => {
      const client = await saslReady(server.port);
      try {
        const started = await startMechanism(client, "OAUTHBEARER");
        assert.ok("data" in started, "OAUTHBEARER is offered");
        sendAuthenticateData(client, Buffer.from(message).toString("base64"));
        return saslSeen(await client.waitFor(SASL_END));
      } finally {
        client.close();
      }
    };
    const bearer = (token: string): string => `n,,\x01auth=Bearer ${token}\x01\x01`;
    const seen = [await attempt(bearer(session.tokens.accessToken)), await attempt(bearer("forged.token.value")), await attempt("not an oauthbearer message")];
    assert.deepEqual(seen, ["ok", "failed", "failed"]);
    assert.deepEqual(difference(loginCounts(await metricsOf(server.httpPort), door), before), { ok: 1, failed: 2, throttled: 0 });
  });

  test("refusals before any password is checked count as failed: a PLAIN message that is not one, an impossible HTTP account name", async () => {
    const before = await metricsOf(server.httpPort);
    const client = await saslReady(server.port);
    try {
      await startMechanism(client, "PLAIN");
      sendAuthenticateData(client, Buffer.from("no separators at all").toString("base64"));
      assert.match(await client.waitFor(SASL_END), / 904 .*Malformed PLAIN/);
      // An authorization identity naming someone else is refused before the password is looked at.
      await startMechanism(client, "PLAIN");
      sendAuthenticateData(client, plainPayload("mrefused", PASSWORD, "someone-else"));
      assert.match(await client.waitFor(SASL_END), / 904 /);
    } finally {
      client.close();
    }
    assert.equal((await ApiClient.forPort(server.httpPort).login("not a name!", PASSWORD)).status, 401);
    const after = await metricsOf(server.httpPort);
    assert.equal(difference(loginCounts(after, "irc sasl-plain"), loginCounts(before, "irc sasl-plain")).failed, 2);
    assert.equal(difference(loginCounts(after, "http password"), loginCounts(before, "http password")).failed, 1);
  });
});

// ── connections by transport ─────────────────────────────────────────────────

test("cmymessage_connections tells IRC over TCP, TLS and WebSocket apart, and FTP in clear from FTP after AUTH TLS", async () => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, ftp: { listen: ["127.0.0.1:0"] }, irc: { tlsListen: ["127.0.0.1:0"] } });
  const closers: Array<() => void> = [];
  try {
    const plain = await RawClient.register(server.port, "tPlain");
    closers.push(() => plain.close());
    const secure = await RawClient.connect(server.tlsPort, "127.0.0.1", { tls: true });
    closers.push(() => secure.close());
    secure.send("NICK tSecure");
    secure.send("USER tSecure 0 * :t");
    await secure.waitFor(/ 001 /);
    const ws = await WsIrcClient.register(server.httpPort, "tWeb");
    closers.push(() => ws.close());
    const ftpPlain = await FtpControl.connect(server.ftpPort);
    closers.push(() => ftpPlain.close());
    const ftpSecure = await FtpControl.connect(server.ftpPort);
    closers.push(() => ftpSecure.close());
    await ftpSecure.startTls();

    const exposition = await metricsOf(server.httpPort);
    const count = (service: string, transport: string): number | undefined => sampleValue(exposition, "cmymessage_connections", { service, transport });
    assert.deepEqual(
      { ircTcp: count("irc", "tcp"), ircTls: count("irc", "tls"), ircWebSocket: count("irc", "websocket"), ftpTcp: count("ftp", "tcp"), ftpTls: count("ftp", "tls") },
      { ircTcp: 1, ircTls: 1, ircWebSocket: 1, ftpTcp: 1, ftpTls: 1 },
    );
  } finally {
    for (const close of closers) close();
    await server.stop();
  }
});

// ── FTP bytes and transfers ──────────────────────────────────────────────────

interface FtpFigures {
  readonly receivedBytes: number;
  readonly sentFileBytes: number;
  readonly sentListingBytes: number;
  readonly uploadsComplete: number;
  readonly uploadsAborted: number;
  readonly uploadsFailed: number;
  readonly downloadsComplete: number;
  readonly downloadsAborted: number;
  readonly listingsComplete: number;
}

describe("FTP bytes and transfers", () => {
  let server: TestServer;
  let control: FtpControl;
  before(async () => {
    // Uploads over 300 kB fail (too large): a transfer that fails on the server's side.
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, ftp: { listen: ["127.0.0.1:0"] }, files: { maxFileBytes: 300_000 } });
    await ApiClient.forPort(server.httpPort).register("mftp");
    control = await FtpControl.connect(server.ftpPort);
    await control.login("mftp", PASSWORD);
    assert.equal((await control.command("TYPE I")).code, 200);
  });
  after(async () => {
    control.close();
    await server.stop();
  });

  const figures = async (): Promise<FtpFigures> => {
    const exposition = await metricsOf(server.httpPort);
    const bytes = (direction: string, content: string): number => sampleValue(exposition, "cmymessage_ftp_bytes_total", { direction, content }) ?? -1;
    const transfers = (direction: string, content: string, outcome: string): number =>
      sampleValue(exposition, "cmymessage_ftp_transfers_total", { direction, content, outcome }) ?? -1;
    assert.equal(exposition.types.get("cmymessage_ftp_bytes_total"), "counter");
    assert.equal(exposition.types.get("cmymessage_ftp_transfers_total"), "counter");
    return {
      receivedBytes: bytes("received", "file"),
      sentFileBytes: bytes("sent", "file"),
      sentListingBytes: bytes("sent", "listing"),
      uploadsComplete: transfers("received", "file", "complete"),
      uploadsAborted: transfers("received", "file", "aborted"),
      uploadsFailed: transfers("received", "file", "failed"),
      downloadsComplete: transfers("sent", "file", "complete"),
      downloadsAborted: transfers("sent", "file", "aborted"),
      listingsComplete: transfers("sent", "listing", "complete"),
    };
  };

  test("STOR, RETR and LIST: the bytes each moved and one complete transfer each", async () => {
    const zero = await figures();
    assert.deepEqual(Object.values(zero), new Array(Object.keys(zero).length).fill(0), "every series is there from the start, at 0");
    const file = Buffer.alloc(100_000, 9);
    assert.equal((await control.transfer("STOR data.bin", file)).final.code, 226);
    const retrieved = await control.transfer("RETR data.bin");
    assert.equal(retrieved.data.length, file.length);
    const listing = await control.transfer("LIST");
    assert.equal(listing.final.code, 226);
    assert.deepEqual(await figures(), {
      ...zero,
      receivedBytes: 100_000,
      sentFileBytes: 100_000,
      sentListingBytes: listing.data.length,
      uploadsComplete: 1,
      downloadsComplete: 1,
      listingsComplete: 1,
    });
  });

  test("an upload cut by ABOR is aborted, one refused as too large failed; the bytes that came are counted", async () => {
    const start = await figures();
    const upload = await startUpload(control, "STOR cut.bin");
    await upload.send(128 * 1024);
    control.send("ABOR");
    assert.deepEqual([(await control.read()).code, (await control.read()).code], [426, 226]);
    upload.data.destroy();
    const tooLarge = await control.transfer("STOR large.bin", Buffer.alloc(400_000, 1));
    assert.equal(tooLarge.final.code, 552);
    const end = await figures();
    assert.equal(end.uploadsAborted - start.uploadsAborted, 1);
    assert.equal(end.uploadsFailed - start.uploadsFailed, 1);
    assert.equal(end.uploadsComplete, start.uploadsComplete);
    // At least the refused upload's first 300 kB arrived before it was cut.
    assert.ok(end.receivedBytes - start.receivedBytes > 300_000, `${end.receivedBytes - start.receivedBytes} bytes`);
  });

  test("an upload whose client went away (control connection closed, then the data connection) is aborted, not failed", async () => {
    const start = await figures();
    const other = await FtpControl.connect(server.ftpPort);
    await other.login("mftp", PASSWORD);
    const upload = await startUpload(other, "STOR gone.bin");
    await upload.send(64 * 1024);
    other.close();
    upload.data.end();
    await upload.closed;
    // Before: counted as failed, though the docs count "its control connection closing" as aborted.
    const end = await waitFor(async () => {
      const now = await figures();
      return now.uploadsAborted + now.uploadsFailed > start.uploadsAborted + start.uploadsFailed ? now : null;
    });
    assert.equal(end.uploadsAborted - start.uploadsAborted, 1);
    assert.equal(end.uploadsFailed, start.uploadsFailed);
  });

  test("a download cut by ABOR is aborted", async () => {
    assert.equal((await control.transfer("STOR big.bin", Buffer.alloc(290_000, 2))).final.code, 226);
    const start = await figures();
    const port = await control.passive();
    const data = await connectData(port, "127.0.0.1");
    // The client does not read: the transfer stalls on back-pressure until ABOR.
    data.pause();
    assert.equal((await control.command("RETR big.bin")).code, 150);
    control.send("ABOR");
    assert.deepEqual([(await control.read()).code, (await control.read()).code], [426, 226]);
    data.destroy();
    const end = await figures();
    assert.equal(end.downloadsAborted - start.downloadsAborted, 1);
    assert.equal(end.downloadsComplete, start.downloadsComplete);
  });
});
