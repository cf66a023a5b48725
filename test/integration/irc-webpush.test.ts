/**
 * IRCv3 draft/webpush end to end: an IRC client logged in with SASL registers a Web Push
 * subscription and leaves; another user's DM and channel mention reach a local push
 * service (test/support/push-endpoint.ts) that verifies the VAPID signature against the
 * key in ISUPPORT and decrypts the payload (aes128gcm) into the IRC line. What must not
 * be pushed (no mention, a device still connected, an unregistered endpoint, one the push
 * service says is gone) is checked behind a later push that must come: the server decides
 * in message order and, with push.maxConcurrentRequests 1, sends in that order, so a push
 * that should not exist would have arrived first.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, openHomeStore, type AccountsFixture, type DatabaseKind, type ServerConfig } from "../support/account-server.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import { parseLine, say } from "../support/irc-lines.js";
import { PushEndpoint, type TestSubscription } from "../support/push-endpoint.js";
import type { RawClient } from "../support/raw-client.js";
import { waitFor } from "../support/wait.js";

const PASSWORD = "correct horse battery";
const SENDER_CAPS = ["echo-message", "message-tags", "server-time"];

/** Push to the test's own HTTP endpoint, one request at a time (the order the tests rely on). */
const PUSH_CONFIG: ServerConfig = { push: { allowPrivateEndpoints: true, maxConcurrentRequests: 1 }, accounts: { alwaysOn: true } };

async function pushEndpoint(t: { after(fn: () => Promise<void>): void }): Promise<PushEndpoint> {
  const endpoint = await PushEndpoint.start();
  t.after(async () => {
    await endpoint.close();
    assert.deepEqual(endpoint.errors, [], "every push verified (VAPID) and decrypted");
  });
  return endpoint;
}

async function login(fx: AccountsFixture, nick: string, account: string): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, nick, account, PASSWORD, { caps: ["draft/webpush", ...SENDER_CAPS] });
  assert.match(result.raw, / 903 /);
  return client;
}

/** The VAPID key of ISUPPORT, as a client reads it during registration. */
function vapidOf(client: RawClient): string {
  const line = client.lines.find((raw) => / 005 .* VAPID=/.test(raw));
  assert.ok(line, "005 carries VAPID");
  return /\bVAPID=(\S+)/.exec(line)![1]!;
}

async function register(client: RawClient, subscription: TestSubscription): Promise<void> {
  client.send(`WEBPUSH REGISTER ${subscription.endpoint} ${subscription.keys}`);
  const reply = await client.waitFor(/ (WEBPUSH REGISTER|FAIL WEBPUSH) /);
  assert.match(reply, new RegExp(`^:\\S+ WEBPUSH REGISTER ${subscription.endpoint}$`));
}

async function quit(client: RawClient): Promise<void> {
  // The server ends the session before it closes the socket: once closed, the device is offline.
  client.send("QUIT :bye");
  await client.closed;
}

/** A FAIL line for WEBPUSH, parsed. */
async function webpushFail(client: RawClient): Promise<{ code: string; params: readonly string[] }> {
  const line = parseLine(await client.waitFor(/ (FAIL WEBPUSH|WEBPUSH (UN)?REGISTER) /));
  assert.equal(line.command, "FAIL", `a FAIL, not ${line.raw}`);
  return { code: line.params[1]!, params: line.params };
}

async function aliceAway(fx: AccountsFixture, endpoint: PushEndpoint): Promise<{ subscription: TestSubscription; vapid: string }> {
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const alice = await login(fx, "alice", "alice");
  const vapid = vapidOf(alice);
  const subscription = endpoint.subscribe();
  await register(alice, subscription);
  await quit(alice);
  return { subscription, vapid };
}

test("CAP LS offers draft/webpush; 005 carries VAPID, a P-256 key kept in the database across a restart", async (t) => {
  const fx = await openFixture(t);
  const client = await fx.rawConnect();
  client.send("CAP LS 302");
  assert.match(await client.waitFor(/ CAP \* LS /), /(^| |:)draft\/webpush( |$)/);
  const first = await fx.raw("first");
  const key = Buffer.from(vapidOf(first), "base64url");
  assert.equal(key.length, 65);
  assert.equal(key[0], 0x04, "an uncompressed point");

  await fx.restart();
  const again = await fx.raw("again");
  assert.equal(vapidOf(again), vapidOf(first), "the same key after a restart");
});

test("with push.enabled false there is no cap, no VAPID and no WEBPUSH", async (t) => {
  const fx = await openFixture(t, { push: { enabled: false } });
  const client = await fx.raw("plain");
  client.send("CAP LS 302");
  assert.doesNotMatch(await client.waitFor(/ CAP \S+ LS /), /draft\/webpush/);
  assert.equal(client.lines.some((raw) => / 005 .*VAPID=/.test(raw)), false);
  client.send("WEBPUSH UNREGISTER https://push.example/x");
  await client.waitFor(/ 421 plain WEBPUSH /);
});

forEachDatabase("draft/webpush", (kind: DatabaseKind) => {
  test("a DM and a channel mention reach the subscription of a device that left, decrypted, signed with the advertised key; other channel talk does not", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, PUSH_CONFIG, { kind });
    const { subscription, vapid } = await aliceAway(fx, endpoint);
    const bob = await fx.raw("bob", { caps: SENDER_CAPS });

    const dm = await say(bob, "alice", "are you there?");
    const push = await subscription.waitForPush(/are you there\?/);
    const line = parseLine(push.text);
    assert.equal(line.command, "PRIVMSG");
    assert.deepEqual(line.params, ["alice", "are you there?"]);
    assert.match(line.source, /^bob!/);
    assert.equal(line.tags.get("msgid"), dm.msgid, "the msgid the sender saw");
    assert.equal(line.tags.get("time"), dm.time);
    assert.equal(push.vapidKey, vapid, "signed with the key ISUPPORT VAPID advertises");
    assert.equal(push.claims.aud, endpoint.origin);
    assert.ok(!push.text.includes("\r") && !push.text.includes("\n"), "one line, no CRLF");

    await say(bob, "#general", "lunch anyone? (not for malice)");
    await say(bob, "#general", "ALICE: the build is green");
    const mention = await subscription.waitForPush(/the build is green/);
    assert.deepEqual(parseLine(mention.text).params, ["#general", "ALICE: the build is green"]);
    assert.deepEqual(
      subscription.received.map((p) => parseLine(p.text).params.at(-1)),
      ["are you there?", "ALICE: the build is green"],
      "the message without a mention was not pushed",
    );
  });

  test("a logged-in sender's pushes carry its account; what an account sends is never pushed to that account", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, PUSH_CONFIG, { kind });
    const { subscription } = await aliceAway(fx, endpoint);
    await registerAccount(fx, "carol", PASSWORD, { quit: true });
    const phone = await login(fx, "carol", "carol");
    const carolSubscription = endpoint.subscribe();
    await register(phone, carolSubscription);
    await quit(phone);
    // carol at her desk: her phone's subscription is not online, yet her own words must not reach it.
    const desk = await login(fx, "carol", "carol");
    await say(desk, "#general", "carol here, hello alice");
    const push = await subscription.waitForPush(/carol here/);
    assert.equal(parseLine(push.text).tags.get("account"), "carol");
    const bob = await fx.raw("bob", { caps: SENDER_CAPS });
    await say(bob, "carol", "bob to carol");
    await carolSubscription.waitForPush(/bob to carol/);
    assert.deepEqual(carolSubscription.received.map((p) => parseLine(p.text).params.at(-1)), ["bob to carol"], "carol's own message naming her was not pushed to her");
  });

  test("nothing is pushed to a device while the connection that registered it is connected", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, PUSH_CONFIG, { kind });
    await registerAccount(fx, "alice", PASSWORD, { quit: true });
    const alice = await login(fx, "alice", "alice");
    const subscription = endpoint.subscribe();
    await register(alice, subscription);
    const bob = await fx.raw("bob", { caps: SENDER_CAPS });

    await say(bob, "alice", "you are online");
    await alice.waitFor(/PRIVMSG alice :you are online/);
    await quit(alice);
    await say(bob, "alice", "now you are not");
    await subscription.waitForPush(/now you are not/);
    assert.deepEqual(subscription.received.map((p) => parseLine(p.text).params.at(-1)), ["now you are not"]);
  });

  test("UNREGISTER stops pushes (and is echoed, also for an endpoint never registered)", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, PUSH_CONFIG, { kind });
    await registerAccount(fx, "alice", PASSWORD, { quit: true });
    const alice = await login(fx, "alice", "alice");
    const dropped = endpoint.subscribe();
    const kept = endpoint.subscribe();
    await register(alice, dropped);
    await register(alice, kept);
    alice.send(`WEBPUSH UNREGISTER ${dropped.endpoint}`);
    assert.match(await alice.waitFor(/ WEBPUSH UNREGISTER /), new RegExp(`^:\\S+ WEBPUSH UNREGISTER ${dropped.endpoint}$`));
    alice.send("webpush unregister https://push.example.org/never-registered");
    assert.match(await alice.waitFor(/ WEBPUSH UNREGISTER /), /WEBPUSH UNREGISTER https:\/\/push\.example\.org\/never-registered$/);
    await quit(alice);

    const bob = await fx.raw("bob", { caps: SENDER_CAPS });
    await say(bob, "alice", "after unregister");
    // Both were registered in this order: had `dropped` still been there, it would have been sent to first.
    await kept.waitForPush(/after unregister/);
    assert.equal(dropped.requests, 0);
  });

  test("a subscription the push service says is gone (410) is deleted and not used again", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, PUSH_CONFIG, { kind });
    await registerAccount(fx, "alice", PASSWORD, { quit: true });
    const alice = await login(fx, "alice", "alice");
    const gone = endpoint.subscribe();
    gone.status = 410;
    const kept = endpoint.subscribe();
    await register(alice, gone);
    await register(alice, kept);
    await quit(alice);
    const store = await openHomeStore(fx.home);
    const endpoints = async (): Promise<string[]> => (await store.db.selectFrom("push_subscriptions").select("endpoint").execute()).map((row) => row.endpoint);
    assert.deepEqual((await endpoints()).sort(), [gone.endpoint, kept.endpoint].sort());

    const bob = await fx.raw("bob", { caps: SENDER_CAPS });
    await say(bob, "alice", "first");
    await kept.waitForPush(/first/);
    await waitFor(async () => !(await endpoints()).includes(gone.endpoint), { what: "the gone subscription deleted" });
    assert.equal(gone.requests, 1);
    await say(bob, "alice", "second");
    await kept.waitForPush(/second/);
    assert.equal(gone.requests, 1, "never asked again");
  });

  test("an account holds at most push.maxSubscriptionsPerAccount; registering a known endpoint again replaces it", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, { ...PUSH_CONFIG, push: { ...PUSH_CONFIG.push, maxSubscriptionsPerAccount: 2 } }, { kind });
    await registerAccount(fx, "alice", PASSWORD, { quit: true });
    const alice = await login(fx, "alice", "alice");
    const [one, two, three] = [endpoint.subscribe(), endpoint.subscribe(), endpoint.subscribe()];
    await register(alice, one);
    await register(alice, two);
    alice.send(`WEBPUSH REGISTER ${three.endpoint} ${three.keys}`);
    const refused = await webpushFail(alice);
    assert.equal(refused.code, "FORBIDDEN");
    assert.deepEqual(refused.params.slice(2, 4), ["REGISTER", three.endpoint]);
    // Same endpoint, new keys (the browser renewed them): allowed at the limit, and pushes use the new keys.
    one.renewKeys();
    await register(alice, one);
    await quit(alice);
    const bob = await fx.raw("bob", { caps: SENDER_CAPS });
    await say(bob, "alice", "to both devices");
    await one.waitForPush(/to both devices/);
    await two.waitForPush(/to both devices/);
    assert.equal(three.requests, 0);
  });
});

test("guests cannot register: FAIL WEBPUSH ACCOUNT_REQUIRED", async (t) => {
  const endpoint = await pushEndpoint(t);
  const fx = await openFixture(t, PUSH_CONFIG);
  const guest = await fx.raw("guest", { caps: ["draft/webpush"] });
  const subscription = endpoint.subscribe();
  guest.send(`WEBPUSH REGISTER ${subscription.endpoint} ${subscription.keys}`);
  const refused = await webpushFail(guest);
  assert.equal(refused.code, "ACCOUNT_REQUIRED");
  assert.deepEqual(refused.params.slice(2, 4), ["REGISTER", subscription.endpoint]);
});

test("bad keys, bad syntax, and (by default) loopback, private or plain-http endpoints are refused with FAIL WEBPUSH INVALID_PARAMS", async (t) => {
  const endpoint = await pushEndpoint(t);
  const fx = await openFixture(t); // push.allowPrivateEndpoints: false, the default
  await registerAccount(fx, "alice", PASSWORD, { quit: true });
  const alice = await login(fx, "alice", "alice");
  const good = endpoint.subscribe();
  const httpsLoopback = good.endpoint.replace("http://", "https://");
  const p256dh = /p256dh=([^;]+)/.exec(good.keys)![1]!;
  const cases: Array<[string, string]> = [
    [`WEBPUSH REGISTER ${good.endpoint} ${good.keys}`, "plain http"],
    [`WEBPUSH REGISTER ${httpsLoopback} ${good.keys}`, "https to 127.0.0.1"],
    [`WEBPUSH REGISTER https://localhost/push/1 ${good.keys}`, "a name resolving to loopback"],
    [`WEBPUSH REGISTER https://[::1]:4443/push ${good.keys}`, "IPv6 loopback"],
    [`WEBPUSH REGISTER https://10.1.2.3/push ${good.keys}`, "a private address"],
    [`WEBPUSH REGISTER https://169.254.169.254/latest/meta-data ${good.keys}`, "link-local (cloud metadata)"],
    [`WEBPUSH REGISTER https://user:pw@push.example.org/x ${good.keys}`, "credentials in the URL"],
    ["WEBPUSH REGISTER not-a-url p256dh=AAAA;auth=BBBB", "not a URL"],
    [`WEBPUSH REGISTER https://push.example.org/x p256dh=${p256dh};auth=${Buffer.alloc(8).toString("base64url")}`, "an 8-byte auth secret"],
    [`WEBPUSH REGISTER https://push.example.org/x p256dh=${Buffer.alloc(65, 4).toString("base64url")};auth=${Buffer.alloc(16).toString("base64url")}`, "a p256dh that is not a point on P-256"],
    [`WEBPUSH REGISTER https://push.example.org/x auth=${Buffer.alloc(16).toString("base64url")}`, "no p256dh"],
    ["WEBPUSH REGISTER https://push.example.org/x", "no keys"],
    ["WEBPUSH SUBSCRIBE https://push.example.org/x", "an unknown subcommand"],
    ["WEBPUSH", "no subcommand"],
  ];
  for (const [line, what] of cases) {
    alice.send(line);
    const refused = await webpushFail(alice);
    assert.equal(refused.code, "INVALID_PARAMS", what);
  }
  const store = await openHomeStore(fx.home);
  assert.deepEqual(await store.db.selectFrom("push_subscriptions").selectAll().execute(), [], "nothing was stored");
});
