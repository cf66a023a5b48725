/**
 * The refresh-token reuse grace period (`http.refreshReuseGraceSeconds`) through the real
 * HTTP API, on SQLite and PostgreSQL: a refresh whose reply was lost (the client never saw
 * the token it was exchanged for) may be retried with the same token within the window,
 * without signing the device out or being logged as theft; past the window, with the
 * grace off, or with the successor the retry retired, a reuse revokes the family as before.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { validateConfig } from "../../src/config/load.js";
import { startServer } from "../../src/server.js";
import type { AccountView } from "../../src/http/schemas.js";
import { createHome, forEachDatabase, openHomeStore, sleep, type DatabaseKind, type ServerHome } from "../support/account-server.js";
import { ApiClient, isProblem } from "../support/http-client.js";

interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

const THEFT = "refresh token reused: its whole family is revoked";
const WARN = 40;

interface GraceServer {
  readonly home: ServerHome;
  readonly api: ApiClient;
  /** Everything the server logged at info and above, parsed. */
  readonly logs: LogRecord[];
}

/** A real server with HTTP on a loopback port; `refreshReuseGraceSeconds` left out means the default. */
async function serve(t: TestContext, kind: DatabaseKind, refreshReuseGraceSeconds?: number): Promise<GraceServer> {
  const home = await createHome(t, kind);
  const config = validateConfig(
    {
      dataDir: home.dataDir,
      server: { shutdownTimeoutSeconds: 1 },
      database: { url: home.databaseUrl },
      http: { listen: ["127.0.0.1:0"], ...(refreshReuseGraceSeconds !== undefined && { refreshReuseGraceSeconds }) },
      ftp: { listen: [] },
      accounts: { registrationsPerAddressPerHour: 0 },
      irc: { listen: ["127.0.0.1:0"], tlsListen: [], flood: { enabled: false } },
    },
    "test",
  );
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const server = await startServer(config, { log: pino({ level: "info" }, sink), reload: async () => config });
  home.track(() => server.stop());
  return { home, api: ApiClient.forPort(server.http[0]!.port), logs };
}

function theftLogged(server: GraceServer): LogRecord | undefined {
  return server.logs.find((record) => record.msg === THEFT && record.level === WARN);
}

async function refreshed(server: GraceServer, token: string): Promise<{ accessToken: string; refreshToken: string }> {
  const reply = await server.api.refresh(token);
  assert.equal(reply.status, 200, reply.text);
  return reply.body.tokens;
}

forEachDatabase("refresh token reuse grace period over HTTP", (kind) => {
  test("a lost reply retried with the same refresh token within the default window: 200 with a new pair of the same session; it keeps working, nothing revoked, no theft logged", async (t) => {
    const server = await serve(t, kind);
    const session = await server.api.register("ann");
    const other = (await server.api.login("ann")).body.tokens;

    // The server rotates the token, but the answer never reaches the client.
    const lost = await refreshed(server, session.tokens.refreshToken);

    const retry = await server.api.refresh(session.tokens.refreshToken);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.account.name, "ann");
    const tokens = retry.body.tokens;
    assert.notEqual(tokens.refreshToken, session.tokens.refreshToken);
    assert.notEqual(tokens.refreshToken, lost.refreshToken);
    const me = await server.api.get<{ account: AccountView }>("/api/v1/me", tokens.accessToken);
    assert.equal(me.status, 200);
    assert.equal(me.body.account.name, "ann");

    // The session goes on, refresh after refresh.
    const next = await refreshed(server, tokens.refreshToken);
    await refreshed(server, next.refreshToken);
    await refreshed(server, other.refreshToken);

    assert.equal(theftLogged(server), undefined, "the retry was logged as theft");
    assert.ok(server.logs.some((record) => record.msg.startsWith("refresh token presented again within the reuse grace period")));
    const store = await openHomeStore(server.home);
    const revoked = await store.db.selectFrom("refresh_tokens").select("id").where("revoked_at", "is not", null).execute();
    assert.deepEqual(revoked, [], "a token was revoked");
  });

  test("the successor a retry replaced, presented later, is a reuse: 401, the family revoked (the retry's token too), logged; other sessions live on", async (t) => {
    const server = await serve(t, kind);
    const session = await server.api.register("bea");
    const phone = (await server.api.login("bea")).body.tokens;
    const first = await refreshed(server, session.tokens.refreshToken);
    const retried = await refreshed(server, session.tokens.refreshToken);

    assert.ok(isProblem(await server.api.refresh(first.refreshToken), 401));
    assert.ok(isProblem(await server.api.refresh(retried.refreshToken), 401));
    assert.ok(theftLogged(server), "the reuse was not logged");
    await refreshed(server, phone.refreshToken);
  });

  test("past the window (1 s here) a reuse is theft as before: 401, the token the owner holds dies too, logged", async (t) => {
    const server = await serve(t, kind, 1);
    const session = await server.api.register("cid");
    const next = await refreshed(server, session.tokens.refreshToken);
    await sleep(1200);

    const replay = await server.api.refresh(session.tokens.refreshToken);
    assert.ok(isProblem(replay, 401), replay.text);
    assert.ok(isProblem(await server.api.refresh(next.refreshToken), 401), "the family was not revoked");
    const logged = theftLogged(server);
    assert.ok(logged, "the reuse was not logged");
    assert.equal(logged["address"], "127.0.0.1");
  });

  test("with http.refreshReuseGraceSeconds 0 an immediate reuse is theft: 401, the family revoked, logged", async (t) => {
    const server = await serve(t, kind, 0);
    const session = await server.api.register("dot");
    const next = await refreshed(server, session.tokens.refreshToken);

    const replay = await server.api.refresh(session.tokens.refreshToken);
    assert.ok(isProblem(replay, 401), replay.text);
    assert.ok(isProblem(await server.api.refresh(next.refreshToken), 401), "the family was not revoked");
    assert.ok(theftLogged(server), "the reuse was not logged");
  });
});
