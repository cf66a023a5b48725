/**
 * A Web Push subscription is a way to read an account's direct messages: it must not outlive
 * what ends the account's sessions. Someone who once knew the password could otherwise register
 * their own push endpoint and go on reading every DM after the owner changed the password or
 * signed out everywhere. A password change by any door (HTTP, NickServ SET PASSWORD,
 * `cmymessage user passwd` in another process) and DELETE /api/v1/me/sessions delete every push
 * subscription of the account; deleting the account deletes them too. On SQLite and PostgreSQL.
 *
 * "Not pushed" is checked behind a later push that must come (as irc-webpush.test.ts does): the
 * account registers a new subscription afterwards and leaves, and with push.maxConcurrentRequests
 * 1 the server sends to an account's subscriptions in the order they were registered, so the old
 * one, had it survived, would have been asked first.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { forEachDatabase, openFixture, openHomeStore, type AccountsFixture, type DatabaseKind, type ServerConfig } from "../support/account-server.js";
import { runCli } from "../support/cli-run.js";
import { parseLine, say } from "../support/irc-lines.js";
import { PushEndpoint, type TestSubscription } from "../support/push-endpoint.js";
import type { RawClient } from "../support/raw-client.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

/** Without spaces: NickServ SET PASSWORD takes them as words. */
const OLD_PASSWORD = "Password-Someone-Else-Learned-7";
const NEW_PASSWORD = "Owners-Brand-New-Password-8";
const SENDER_CAPS = ["echo-message", "message-tags", "server-time"];

/** Push to the test's own HTTP endpoint, one request at a time; HTTP on; sweeps every second (the CLI door). */
const CONFIG: ServerConfig = {
  push: { allowPrivateEndpoints: true, maxConcurrentRequests: 1 },
  accounts: { alwaysOn: true, deletedCheckSeconds: 1 },
  http: { listen: ["127.0.0.1:0"] },
};

async function pushEndpoint(t: TestContext): Promise<PushEndpoint> {
  const endpoint = await PushEndpoint.start();
  t.after(async () => {
    await endpoint.close();
    assert.deepEqual(endpoint.errors, [], "every push verified (VAPID) and decrypted");
  });
  return endpoint;
}

async function login(fx: AccountsFixture, nick: string, password: string): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, nick, "alice", password, { caps: ["draft/webpush", ...SENDER_CAPS] });
  assert.match(result.raw, / 903 /);
  return client;
}

async function register(client: RawClient, subscription: TestSubscription): Promise<void> {
  client.send(`WEBPUSH REGISTER ${subscription.endpoint} ${subscription.keys}`);
  assert.match(await client.waitFor(/ (WEBPUSH REGISTER|FAIL WEBPUSH) /), new RegExp(`^:\\S+ WEBPUSH REGISTER ${subscription.endpoint}$`));
}

async function quit(client: RawClient): Promise<void> {
  client.send("QUIT :bye");
  await client.closed;
}

/** alice, registered with OLD_PASSWORD, and a device of hers that registered for push and left. */
async function aliceWithPush(t: TestContext, kind: DatabaseKind): Promise<{ fx: AccountsFixture; endpoint: PushEndpoint; before: TestSubscription }> {
  const endpoint = await pushEndpoint(t);
  const fx = await openFixture(t, CONFIG, { kind });
  await registerAccount(fx, "alice", OLD_PASSWORD, { quit: true });
  const device = await login(fx, "alice", OLD_PASSWORD);
  const before = endpoint.subscribe();
  await register(device, before);
  await quit(device);
  return { fx, endpoint, before };
}

function httpPort(fx: AccountsFixture): number {
  return fx.server.http[0]!.port;
}

async function http(fx: AccountsFixture, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${httpPort(fx)}${path}`, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...(token && { authorization: `Bearer ${token}` }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : (JSON.parse(text) as unknown) };
}

async function accessToken(fx: AccountsFixture, password: string): Promise<string> {
  const reply = await http(fx, "POST", "/api/v1/auth/login", { name: "alice", password });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return (reply.body as { tokens: { accessToken: string } }).tokens.accessToken;
}

async function storedEndpoints(fx: AccountsFixture): Promise<string[]> {
  const store = await openHomeStore(fx.home);
  return (await store.db.selectFrom("push_subscriptions").select("endpoint").execute()).map((row) => row.endpoint).sort();
}

/**
 * The subscription registered before is gone: not stored, and a DM sent now reaches only a
 * subscription alice registers afterwards (logged in with `password`), never the old one.
 */
async function assertNoLongerPushed(fx: AccountsFixture, endpoint: PushEndpoint, before: TestSubscription, password: string): Promise<void> {
  assert.deepEqual(await storedEndpoints(fx), [], "the account's push subscriptions were deleted");
  const device = await login(fx, "alice2", password);
  const after = endpoint.subscribe();
  await register(device, after);
  await quit(device);
  const bob = await fx.raw("bob", { caps: SENDER_CAPS });
  await say(bob, "alice", "a secret for alice alone");
  const push = await after.waitForPush(/a secret for alice alone/);
  assert.deepEqual(parseLine(push.text).params, ["alice", "a secret for alice alone"]);
  assert.equal(before.requests, 0, "the subscription registered before was sent nothing");
}

forEachDatabase("push subscriptions end with the account's sessions", (kind) => {
  test("a password changed over HTTP deletes them: a DM is no longer pushed to a device registered before", async (t) => {
    const { fx, endpoint, before } = await aliceWithPush(t, kind);
    assert.deepEqual(await storedEndpoints(fx), [before.endpoint]);
    const token = await accessToken(fx, OLD_PASSWORD);
    const changed = await http(fx, "PUT", "/api/v1/me/password", { currentPassword: OLD_PASSWORD, newPassword: NEW_PASSWORD }, token);
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await assertNoLongerPushed(fx, endpoint, before, NEW_PASSWORD);
  });

  test("a password changed with NickServ SET PASSWORD deletes them", async (t) => {
    const { fx, endpoint, before } = await aliceWithPush(t, kind);
    const changer = await login(fx, "alice", OLD_PASSWORD);
    changer.send(`PRIVMSG NickServ :SET PASSWORD ${OLD_PASSWORD} ${NEW_PASSWORD}`);
    assert.match(await changer.waitFor(/NOTICE \S+ :.*password/i), /has been changed/);
    await quit(changer);
    await assertNoLongerPushed(fx, endpoint, before, NEW_PASSWORD);
  });

  test("a password changed by `cmymessage user passwd` (another process) deletes them", async (t) => {
    const { fx, endpoint, before } = await aliceWithPush(t, kind);
    const configFile = join(fx.home.dataDir, "cli.yaml");
    await writeFile(configFile, JSON.stringify({ dataDir: fx.home.dataDir, database: { url: fx.home.databaseUrl } }));
    const changed = await runCli(["user", "passwd", "alice", "--password", NEW_PASSWORD], configFile);
    assert.equal(changed.code, 0, changed.stderr);
    await assertNoLongerPushed(fx, endpoint, before, NEW_PASSWORD);
  });

  test("DELETE /api/v1/me/sessions (sign out everywhere) deletes them", async (t) => {
    const { fx, endpoint, before } = await aliceWithPush(t, kind);
    const signedOut = await http(fx, "DELETE", "/api/v1/me/sessions", undefined, await accessToken(fx, OLD_PASSWORD));
    assert.equal(signedOut.status, 204, JSON.stringify(signedOut.body));
    await assertNoLongerPushed(fx, endpoint, before, OLD_PASSWORD);
  });

  test("deleting the account deletes them", async (t) => {
    const { fx, before } = await aliceWithPush(t, kind);
    assert.deepEqual(await storedEndpoints(fx), [before.endpoint]);
    const configFile = join(fx.home.dataDir, "cli.yaml");
    await writeFile(configFile, JSON.stringify({ dataDir: fx.home.dataDir, database: { url: fx.home.databaseUrl } }));
    const deleted = await runCli(["user", "del", "alice"], configFile);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(await storedEndpoints(fx), []);
  });
});
