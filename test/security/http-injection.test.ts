import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, ircLogin, isProblem, eventually } from "../support/http-client.js";
import { RawClient } from "../support/raw-client.js";
import { openStore } from "../../src/store/database.js";

const HOSTILE = [
  "' OR 1=1 --",
  '"; DROP TABLE accounts; --',
  "alice' --",
  "\u0000",
  "alice\u0000",
  "%00",
  "#general' OR '1'='1",
  "1; DELETE FROM messages",
  "x".repeat(5000),
];

let server: TestServer;
let api: ApiClient;
let token: string;
/** Keeps #general alive: history is served for channels that exist now. */
let irc: RawClient;

async function snapshot(): Promise<{ accounts: unknown[]; messages: number; tokens: number }> {
  const store = await openStore({ url: "", dataDir: server.dataDir, migrate: false });
  try {
    const accounts = await store.db.selectFrom("accounts").select(["id", "name", "name_folded"]).orderBy("id").execute();
    const messages = await store.db.selectFrom("messages").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    const tokens = await store.db.selectFrom("refresh_tokens").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    return { accounts, messages: Number(messages.n), tokens: Number(tokens.n) };
  } finally {
    await store.close();
  }
}

before(async () => {
  server = await startTestServer({
    http: { listen: ["127.0.0.1:0"] },
    auth: { bruteForce: { backoffBaseSeconds: 0.001, backoffMaxSeconds: 0.001, accountAddressLockoutAfter: 100000, addressLockoutAfter: 100000, accountFailuresPerSecond: 1000 } },
  });
  api = ApiClient.forPort(server.httpPort);
  token = (await api.register("alice")).tokens.accessToken;
  await api.register("bob");
  irc = await ircLogin(server.port, "alice");
  irc.send("PRIVMSG #general :a message that must survive");
  await eventually(async () => assert.equal((await api.channelMessages("#general", token)).body.messages.length, 1));
});
after(async () => {
  irc.close();
  await server.stop();
});

test("hostile strings in every field get ordinary 400/401/404 answers and change nothing", async () => {
  const before = await snapshot();
  const seen = new Set<number>();
  const expect = (reply: Awaited<ReturnType<ApiClient["get"]>>, allowed: number[], what: string): void => {
    assert.ok(allowed.includes(reply.status), `${what}: ${reply.status} ${reply.text.slice(0, 200)}`);
    assert.ok(isProblem(reply, reply.status), `${what}: not problem+json: ${reply.text.slice(0, 200)}`);
    seen.add(reply.status);
  };
  for (const evil of HOSTILE) {
    const short = JSON.stringify(evil.slice(0, 30));
    expect(await api.post("/api/v1/accounts", { name: evil, password: PASSWORD }), [400], `register name ${short}`);
    expect(await api.login(evil, PASSWORD), [400, 401], `login name ${short}`);
    expect(await api.login("alice", evil), [400, 401], `login password ${short}`);
    expect(await api.refresh(evil), [400, 401], `refresh ${short}`);
    expect(await api.request("PUT", "/api/v1/me/password", { token, json: { currentPassword: evil, newPassword: evil } }), [400, 403], `password ${short}`);
    // 414: a path segment longer than the router takes.
    expect(await api.channelMessages(evil, token), [400, 404, 414], `channel ${short}`);
    expect(await api.channelMessages("#general", token, `?before=${encodeURIComponent(evil)}`), [400], `before ${short}`);
    expect(await api.channelMessages("#general", token, `?limit=${encodeURIComponent(evil)}`), [400], `limit ${short}`);
    expect(await api.dmMessages(evil, token), [400, 404, 414], `dm ${short}`);
    expect(await api.dmMessages("bob", token, `?before=${encodeURIComponent(evil)}`), [400], `dm before ${short}`);
  }
  assert.ok(seen.has(400) && seen.has(401));
  assert.deepEqual(await snapshot(), before);
  // And the real data still answers as before.
  assert.equal((await api.login("alice")).status, 200);
  const page = await api.channelMessages("#general", token);
  assert.equal(page.body.messages[0]?.text, "a message that must survive");
});

test("out-of-range and non-numeric limits are 400; extra JSON fields and wrong types are refused or ignored, never stored", async () => {
  for (const limit of ["0", "-1", "201", "1e9", "abc", "50abc", "1.5"]) {
    assert.ok(isProblem(await api.channelMessages("#general", token, `?limit=${limit}`), 400), `limit=${limit}`);
  }
  assert.ok(isProblem(await api.post("/api/v1/accounts", { name: ["x"], password: PASSWORD }), 400));
  assert.ok(isProblem(await api.post("/api/v1/accounts", { name: { $ne: null }, password: PASSWORD }), 400));
  assert.ok(isProblem(await api.post("/api/v1/auth/login", { name: "alice", password: { $gt: "" } }), 400));
  assert.ok(isProblem(await api.request("POST", "/api/v1/auth/login", { raw: '{"name":"alice","password":', headers: { "content-type": "application/json" } }), 400));
  assert.ok(isProblem(await api.request("POST", "/api/v1/auth/login", { raw: "name=alice", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415));
  // JSON sent as text: refused for its type, as the form is, not parsed as a string.
  assert.ok(isProblem(await api.request("POST", "/api/v1/auth/login", { raw: '{"name":"alice","password":"x"}', headers: { "content-type": "text/plain" } }), 415));
  const proto = await api.request("POST", "/api/v1/auth/login", { raw: '{"name":"alice","password":"x","__proto__":{"admin":true}}' });
  assert.ok(isProblem(proto, proto.status) && [400, 401].includes(proto.status), proto.text);
});
