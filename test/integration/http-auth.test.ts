import { test, before, after } from "node:test";
import { request } from "node:http";
import assert from "node:assert/strict";
import { pino } from "pino";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, ircLogin, isProblem } from "../support/http-client.js";
import { openDomain } from "../../src/domain.js";
import type { AccountView, SessionView } from "../../src/http/schemas.js";

// Failures here are part of the flows, not attacks: a back-off of a millisecond keeps them from colliding.
const quickGuard = { backoffBaseSeconds: 0.001, backoffMaxSeconds: 0.001, accountAddressLockoutAfter: 1000, addressLockoutAfter: 1000, accountFailuresPerSecond: 1000 };

let server: TestServer;
let api: ApiClient;
before(async () => {
  // No grace for a lost reply's retry (http-refresh-grace.test.ts has it): every reuse here is one.
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"], refreshReuseGraceSeconds: 0 }, auth: { bruteForce: quickGuard } });
  api = ApiClient.forPort(server.httpPort);
});
after(() => server.stop());

test("register logs in at once; the access token reads /me", async () => {
  const reply = await api.post<SessionView>("/api/v1/accounts", { name: "Alice", password: PASSWORD, email: "alice@example.org" });
  assert.equal(reply.status, 201);
  assert.equal(reply.body.account.name, "Alice");
  assert.equal(reply.body.account.email, "alice@example.org");
  assert.equal(reply.body.tokens.tokenType, "Bearer");
  assert.ok(Date.parse(reply.body.tokens.accessTokenExpiresAt) - Date.now() <= 15 * 60_000 + 1000);
  assert.ok(Date.parse(reply.body.tokens.refreshTokenExpiresAt) - Date.now() > 29 * 86_400_000);
  assert.match(reply.body.tokens.refreshToken, /^[A-Za-z0-9_-]{43}$/);

  const me = await api.get<{ account: AccountView }>("/api/v1/me", reply.body.tokens.accessToken);
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.account, reply.body.account);
  assert.ok(!("password" in me.body.account));
});

test("registration refuses a taken name (any case), a bad name and a weak password with problem+json", async () => {
  await api.register("bob");
  const taken = await api.post("/api/v1/accounts", { name: "BOB", password: PASSWORD });
  assert.ok(isProblem(taken, 409), taken.text);
  const badName = await api.post("/api/v1/accounts", { name: "1bob", password: PASSWORD });
  assert.ok(isProblem(badName, 400), badName.text);
  assert.equal((badName.body as { type: string }).type, "urn:cmymessage:problem:invalid-name");
  const common = await api.post("/api/v1/accounts", { name: "bob2", password: "password123" });
  assert.ok(isProblem(common, 400));
  assert.equal((common.body as { type: string }).type, "urn:cmymessage:problem:too-common");
  const short = await api.post("/api/v1/accounts", { name: "bob3", password: "short" });
  assert.equal((short.body as { type: string }).type, "urn:cmymessage:problem:too-short");
});

test("login gives a new session; the account name is case-insensitive", async () => {
  await api.register("carol");
  const reply = await api.login("CAROL");
  assert.equal(reply.status, 200);
  assert.equal(reply.body.account.name, "carol");
  const me = await api.get<{ account: AccountView }>("/api/v1/me", reply.body.tokens.accessToken);
  assert.equal(me.body.account.name, "carol");
});

test("refresh rotates: the new pair works, the old refresh token is spent", async () => {
  const session = await api.register("dave");
  const first = await api.refresh(session.tokens.refreshToken);
  assert.equal(first.status, 200);
  assert.notEqual(first.body.tokens.refreshToken, session.tokens.refreshToken);
  assert.equal(first.body.account.name, "dave");
  assert.equal((await api.get("/api/v1/me", first.body.tokens.accessToken)).status, 200);
  const second = await api.refresh(first.body.tokens.refreshToken);
  assert.equal(second.status, 200);
  const third = await api.refresh(second.body.tokens.refreshToken);
  assert.equal(third.status, 200);
});

test("reusing a rotated refresh token revokes its whole family, and only that family", async () => {
  await api.register("erin");
  const laptop = (await api.login("erin")).body;
  const phone = (await api.login("erin")).body;
  const next = await api.refresh(laptop.tokens.refreshToken);
  assert.equal(next.status, 200);

  // A thief replays the old token: refused, and the token the owner now holds dies with it.
  const replay = await api.refresh(laptop.tokens.refreshToken);
  assert.ok(isProblem(replay, 401), replay.text);
  const owner = await api.refresh(next.body.tokens.refreshToken);
  assert.ok(isProblem(owner, 401), owner.text);

  // Another login of the same account is another family: untouched.
  assert.equal((await api.refresh(phone.tokens.refreshToken)).status, 200);
});

test("two refreshes racing with one token: at most one wins", async () => {
  const session = await api.register("frank");
  const results = await Promise.all([api.refresh(session.tokens.refreshToken), api.refresh(session.tokens.refreshToken)]);
  const ok = results.filter((r) => r.status === 200);
  assert.ok(ok.length <= 1, `${ok.length} refreshes succeeded`);
  assert.ok(results.every((r) => r.status === 200 || isProblem(r, 401)));
});

test("logout revokes the family: the refresh token and its successors stop working; 204 whatever the token", async () => {
  const session = await api.register("grace");
  const rotated = await api.refresh(session.tokens.refreshToken);
  const out = await api.post("/api/v1/auth/logout", { refreshToken: rotated.body.tokens.refreshToken });
  assert.equal(out.status, 204);
  assert.equal(out.text, "");
  assert.ok(isProblem(await api.refresh(rotated.body.tokens.refreshToken), 401));
  const unknown = await api.post("/api/v1/auth/logout", { refreshToken: "x".repeat(43) });
  assert.equal(unknown.status, 204);
});

test("garbage, empty and missing refresh tokens get 401 or 400 problems", async () => {
  assert.ok(isProblem(await api.refresh("not-a-token"), 401));
  assert.ok(isProblem(await api.refresh("A".repeat(43)), 401));
  assert.ok(isProblem(await api.post("/api/v1/auth/refresh", {}), 400));
  assert.ok(isProblem(await api.post("/api/v1/auth/refresh", { refreshToken: "" }), 400));
});

test("password change over HTTP: needs the current password, revokes every refresh token, returns a new session", async () => {
  const first = await api.register("heidi");
  const other = (await api.login("heidi")).body;
  const wrong = await api.request("PUT", "/api/v1/me/password", { token: first.tokens.accessToken, json: { currentPassword: "not the password", newPassword: "a brand new passphrase" } });
  assert.ok(isProblem(wrong, 403), wrong.text);
  const weak = await api.request("PUT", "/api/v1/me/password", { token: first.tokens.accessToken, json: { currentPassword: PASSWORD, newPassword: "12345678" } });
  assert.ok(isProblem(weak, 400), weak.text);
  // Nothing changed so far.
  assert.equal((await api.refresh(other.tokens.refreshToken)).status, 200);
  const other2 = (await api.login("heidi")).body;

  const changed = await api.request<SessionView>("PUT", "/api/v1/me/password", {
    token: first.tokens.accessToken,
    json: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
  });
  assert.equal(changed.status, 200, changed.text);
  assert.ok(isProblem(await api.refresh(first.tokens.refreshToken), 401));
  assert.ok(isProblem(await api.refresh(other2.tokens.refreshToken), 401));
  assert.equal((await api.refresh(changed.body.tokens.refreshToken)).status, 200);
  assert.ok(isProblem(await api.login("heidi"), 401));
  assert.equal((await api.login("heidi", "a brand new passphrase")).status, 200);
});

test("a password past the policy's 1024 bytes is the policy's 400 too-long, on registration and on a password change", async () => {
  for (const password of ["x".repeat(1025), "x".repeat(4096), "é".repeat(513)]) {
    const register = await api.post("/api/v1/accounts", { name: "oscar", password });
    assert.ok(isProblem(register, 400), register.text);
    assert.equal((register.body as { type: string }).type, "urn:cmymessage:problem:too-long", `${password.length} characters`);
    assert.match((register.body as { detail: string }).detail, /at most 1024 bytes/);
  }
  const session = await api.register("oscar");
  const change = await api.request("PUT", "/api/v1/me/password", { token: session.tokens.accessToken, json: { currentPassword: PASSWORD, newPassword: "x".repeat(1025) } });
  assert.ok(isProblem(change, 400), change.text);
  assert.equal((change.body as { type: string }).type, "urn:cmymessage:problem:too-long");
  assert.equal((await api.login("oscar")).status, 200, "the password did not change");
  // The body limit still bounds what reaches the policy.
  const huge = await api.post("/api/v1/accounts", { name: "oscar2", password: "x".repeat(20 * 1024) });
  assert.ok(isProblem(huge, 413), huge.text);
});

test('registration takes "email": null as no email, as an account without one shows it', async () => {
  const reply = await api.post<SessionView>("/api/v1/accounts", { name: "peggy", password: PASSWORD, email: null });
  assert.equal(reply.status, 201, reply.text);
  assert.equal(reply.body.account.email, null);
  // An empty string is still no email address.
  const empty = await api.post("/api/v1/accounts", { name: "peggy2", password: PASSWORD, email: "" });
  assert.ok(isProblem(empty, 400), empty.text);
  assert.match((empty.body as { detail: string }).detail, /email/);
});

test("logout without a refresh token, with {} or with no body at all, is still 204 and clears the cookie; sessions stay", async () => {
  const session = await api.register("quentin");
  for (const options of [{ json: {} }, { raw: "" }, {}, { json: { cookie: true } }]) {
    const out = await api.request("POST", "/api/v1/auth/logout", options);
    assert.equal(out.status, 204, `${JSON.stringify(options)}: ${out.text}`);
    assert.equal(out.text, "");
    assert.match(out.headers.get("set-cookie") ?? "", /^cmy_access=;.*Max-Age=0/);
  }
  assert.equal((await api.refresh(session.tokens.refreshToken)).status, 200, "nothing was revoked");
});

/** POST /api/v1/auth/login from a chosen loopback address (fetch cannot bind one). */
function loginFrom(localAddress: string, name: string, password: string): Promise<{ status: number; refreshToken: string }> {
  const body = JSON.stringify({ name, password });
  return new Promise((resolve, reject) => {
    const req = request(new URL("/api/v1/auth/login", api.base), { method: "POST", localAddress, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, refreshToken: res.statusCode === 200 ? (JSON.parse(text) as SessionView).tokens.refreshToken : "" }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("a login with the old password that overlaps a password change keeps no session once the change is done", async () => {
  await api.register("ivor");
  // The server's password hashing is kept busy by wrong guesses (from other addresses, so the
  // guard lets them all in): the login below reads the old hash at once and then waits its turn
  // to verify it, while the password is changed meanwhile (by a second domain on the database,
  // as the CLI does) and every session revoked.
  const busy = Array.from({ length: 12 }, (_, i) => loginFrom(`127.0.0.${i + 10}`, "ivor", `wrong guess ${i}`));
  const overlapping = loginFrom("127.0.0.2", "ivor", PASSWORD);
  const domain = await openDomain(server.server.config, pino({ level: "silent" }), { migrate: false });
  try {
    assert.deepEqual(await domain.accounts.changePassword("ivor", "a brand new passphrase"), { ok: true });
  } finally {
    await domain.close();
  }
  await Promise.all(busy);
  const late = await overlapping;
  // Refused (it finished after the change), or let in only to be revoked: either way no session outlives the old password.
  if (late.status === 200) assert.ok(isProblem(await api.refresh(late.refreshToken), 401), "a session begun with the old password outlived its change");
  else assert.equal(late.status, 401);
  assert.equal((await loginFrom("127.0.0.2", "ivor", "a brand new passphrase")).status, 200);
});

test("a password changed over IRC (NickServ SET PASSWORD) revokes the account's web sessions", async () => {
  const session = await api.register("ivan", "ivans-first-passphrase");
  const irc = await ircLogin(server.port, "ivan", "ivans-first-passphrase");
  try {
    irc.send("PRIVMSG NickServ :SET PASSWORD ivans-first-passphrase another long passphrase");
    await irc.waitFor(/password has been changed/);
    assert.ok(isProblem(await api.refresh(session.tokens.refreshToken), 401));
  } finally {
    irc.close();
  }
});

test("a password changed by the CLI (AccountService.changePassword on the same database) revokes web sessions", async () => {
  const session = await api.register("judy");
  const domain = await openDomain(server.server.config, pino({ level: "silent" }), { migrate: false });
  try {
    const result = await domain.accounts.changePassword("judy", "yet another long passphrase");
    assert.deepEqual(result, { ok: true });
  } finally {
    await domain.close();
  }
  assert.ok(isProblem(await api.refresh(session.tokens.refreshToken), 401));
});

test("/me without a token, with a malformed header, or after the account is deleted: 401 problem", async () => {
  assert.ok(isProblem(await api.get("/api/v1/me"), 401));
  const basic = await api.request("GET", "/api/v1/me", { headers: { authorization: "Basic YWxpY2U6cHc=" } });
  assert.ok(isProblem(basic, 401));
  assert.match(basic.headers.get("www-authenticate") ?? "", /^Bearer/);
  const session = await api.register("mallory");
  const domain = await openDomain(server.server.config, pino({ level: "silent" }), { migrate: false });
  try {
    assert.equal(await domain.accounts.delete("mallory"), true);
  } finally {
    await domain.close();
  }
  assert.ok(isProblem(await api.get("/api/v1/me", session.tokens.accessToken), 401));
  assert.ok(isProblem(await api.refresh(session.tokens.refreshToken), 401));
});
