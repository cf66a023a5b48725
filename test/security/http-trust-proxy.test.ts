/**
 * `http.trustProxy` counts proxy hops from our side: the client is the X-Forwarded-For
 * entry that many hops back from the right, the one our own nearest proxy wrote. Proxies
 * such as nginx (`$proxy_add_x_forwarded_for`) append to what the client sent, so the
 * left-most entries are the client's choice and must never become its address: the
 * brute-force guard and the registration limit count per address.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { Problem } from "../../src/http/problems.js";
import { startTestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";

/** Any second failure on one account from one address backs off for 30 s: the next attempt gets 429. */
const BACK_OFF = { backoffBaseSeconds: 30, backoffMaxSeconds: 60, accountAddressLockoutAfter: 100, addressLockoutAfter: 100, accountFailuresPerSecond: 1000 };

async function serve(t: TestContext, trustProxy: boolean | 2, registrationsPerAddressPerHour = 0): Promise<ApiClient> {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"], trustProxy }, auth: { bruteForce: BACK_OFF }, accounts: { registrationsPerAddressPerHour } });
  t.after(() => server.stop());
  const api = ApiClient.forPort(server.httpPort);
  await api.register("alice");
  return api;
}

function loginAs(api: ApiClient, forwardedFor: string | null, password = "wrong guess here"): Promise<number> {
  const headers: Record<string, string> = forwardedFor === null ? {} : { "x-forwarded-for": forwardedFor };
  return api.request("POST", "/api/v1/auth/login", { json: { name: "alice", password }, headers }).then((reply) => reply.status);
}

/** Statuses of bad logins whose left-most X-Forwarded-For entry changes every time. */
async function rotatingLeftEntries(api: ApiClient, rightEntries: string, attempts = 6): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 1; i <= attempts; i++) statuses.push(await loginAs(api, `10.1.${i}.1, ${rightEntries}`));
  return statuses;
}

test("true (one proxy): a client-chosen left entry is not the address; the proxy's right-most entry is, and is backed off", async (t) => {
  const api = await serve(t, true);
  const statuses = await rotatingLeftEntries(api, "203.0.113.50");
  assert.deepEqual(statuses.slice(0, 2), [401, 401]);
  assert.ok(statuses.slice(2).every((status) => status === 429), `changing the left entry escaped the back-off: ${statuses.join(" ")}`);
  // The right-most entry is the address: another one is not backed off, the same one is even with the right password.
  assert.equal(await loginAs(api, "10.1.1.1, 203.0.113.51"), 401);
  assert.equal(await loginAs(api, "203.0.113.50", PASSWORD), 429);
});

test("2 (a CDN and nginx): the entry two hops back is the address, whatever the client put before it", async (t) => {
  const api = await serve(t, 2);
  const statuses = await rotatingLeftEntries(api, "203.0.113.60, 198.51.100.1");
  assert.ok(statuses.slice(2).every((status) => status === 429), `changing the left entry escaped the back-off: ${statuses.join(" ")}`);
  // Another CDN edge in front of the same client: the same address.
  assert.equal(await loginAs(api, "203.0.113.60, 198.51.100.2", PASSWORD), 429);
  // Another client behind the same edge: its own address, not backed off.
  assert.equal(await loginAs(api, "203.0.113.60, 203.0.113.61, 198.51.100.1", PASSWORD), 200);
});

test("an entry that is not an IP address, or too few entries, count against the proxy's own (socket) address", async (t) => {
  const api = await serve(t, 2);
  // No header at all: the socket's address (127.0.0.1), now backed off.
  assert.equal(await loginAs(api, null), 401);
  assert.equal(await loginAs(api, null), 401);
  assert.equal(await loginAs(api, null, PASSWORD), 429);
  for (const forwardedFor of ["not-an-ip, 198.51.100.1", "<script>, 198.51.100.1", "1.2.3.4:5555, 198.51.100.1", "[2001:db8::1], 198.51.100.1", "203.0.113.70"]) {
    assert.equal(await loginAs(api, forwardedFor, PASSWORD), 429, `${forwardedFor} was taken as an address`);
  }
  // A real address at that place is still its own.
  assert.equal(await loginAs(api, "203.0.113.71, 198.51.100.1", PASSWORD), 200);
});

test("the registration limit counts the proxy's right-most entry, not the client's left ones", async (t) => {
  const api = await serve(t, true, 2);
  const statuses: number[] = [];
  for (let i = 1; i <= 3; i++) {
    const reply = await api.request<Problem>("POST", "/api/v1/accounts", { json: { name: `user${i}`, password: PASSWORD }, headers: { "x-forwarded-for": `10.2.${i}.1, 203.0.113.80` } });
    statuses.push(reply.status);
    if (i === 3) assert.equal(reply.body.type, "urn:cmymessage:problem:registration-limit");
  }
  assert.deepEqual(statuses, [201, 201, 429]);
});

test("false (the default): X-Forwarded-For is ignored, every request is the socket's address", async (t) => {
  const api = await serve(t, false);
  const statuses = await rotatingLeftEntries(api, "203.0.113.90");
  assert.ok(statuses.slice(2).every((status) => status === 429), statuses.join(" "));
  assert.equal(await loginAs(api, "203.0.113.91", PASSWORD), 429);
});

test("X-Forwarded-Proto from the nearest proxy decides the access cookie's Secure, with true and with a hop count", async (t) => {
  for (const trustProxy of [true, 2, false] as const) {
    const api = await serve(t, trustProxy);
    const cookie = async (proto: string | null): Promise<string> => {
      const headers: Record<string, string> = proto === null ? {} : { "x-forwarded-proto": proto };
      const reply = await api.request("POST", "/api/v1/auth/login", { json: { name: "alice", password: PASSWORD, cookie: true }, headers });
      assert.equal(reply.status, 200);
      return reply.headers.get("set-cookie") ?? "";
    };
    const trusted = trustProxy !== false;
    assert.equal(/; Secure$/.test(await cookie("https")), trusted, `trustProxy ${trustProxy}: https`);
    // The nearest proxy's value is the last one; what the client sent before it does not count.
    assert.equal(/; Secure$/.test(await cookie("http, https")), trusted, `trustProxy ${trustProxy}: http, https`);
    assert.doesNotMatch(await cookie("https, http"), /Secure/, `trustProxy ${trustProxy}: https, http`);
    assert.doesNotMatch(await cookie(null), /Secure/);
  }
});
