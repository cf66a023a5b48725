/**
 * An access token carries the account's credentials version (claim `cv`): one issued
 * before a password change is refused afterwards, over HTTP (Bearer header and the
 * cmy_access cookie: 401) and over IRC SASL OAUTHBEARER (904), so someone who learned
 * the old password keeps nothing (docs/accounts.md "Password changes"). Before, such a
 * token logged in over OAUTHBEARER for its remaining minutes, and the IRC session it
 * made was recorded under the new version, so the stale-session check never ended it.
 * A token without the claim (issued before the claim existed) counts as version 0.
 * Also: `Authorization: Bearer` followed by more than one space (RFC 6750: 1*SP).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT, importPKCS8 } from "jose";
import { setup } from "../support/fixture.js";
import { ApiClient, isProblem, PASSWORD } from "../support/http-client.js";
import { parseLine, type Line } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { SASL_END, sendAuthenticateData, startMechanism } from "../support/sasl.js";
import { GENERATED_KEY_FILE } from "../../src/auth/token-key.js";
import type { SessionView } from "../../src/http/schemas.js";

const NEW_PASSWORD = "a brand new passphrase";

function oauthPayload(token: string): string {
  return Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`, "utf8").toString("base64");
}

type Fixture = Awaited<ReturnType<typeof setup>>;

/** Connects, runs OAUTHBEARER with `token` before registering, registers as `nick`; the numeric that ended SASL. */
async function oauthbearer(fx: Fixture, nick: string, token: string): Promise<{ client: RawClient; result: Line }> {
  const client = fx.track(await fx.rawConnect());
  client.send("CAP LS 302");
  client.send("CAP REQ :sasl");
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  await client.waitFor(/ CAP \S+ ACK /);
  const started = await startMechanism(client, "OAUTHBEARER");
  let result: Line;
  if ("end" in started) result = started.end;
  else {
    sendAuthenticateData(client, oauthPayload(token));
    result = parseLine(await client.waitFor(SASL_END));
  }
  client.send("CAP END");
  await client.waitFor(/ 001 /);
  return { client, result };
}

async function serve(t: Parameters<typeof setup>[0]) {
  const fx = await setup(t, { http: { listen: ["127.0.0.1:0"] } });
  return { fx, api: ApiClient.forPort(fx.server.httpPort) };
}

async function changePassword(api: ApiClient, token: string): Promise<SessionView> {
  const changed = await api.request<SessionView>("PUT", "/api/v1/me/password", { token, json: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
  assert.equal(changed.status, 200, changed.text);
  return changed.body;
}

async function assertInvalidToken(api: ApiClient, token: string, what: string): Promise<void> {
  const reply = await api.get("/api/v1/me", token);
  assert.ok(isProblem(reply, 401), `${what}: expected 401, got ${reply.status} ${reply.text}`);
  assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:invalid-token", what);
}

test("an access token issued before a password change is refused by OAUTHBEARER (904) and by HTTP (401); tokens issued after work", async (t) => {
  const { fx, api } = await serve(t);
  const before = await api.register("alice");
  const oldToken = before.tokens.accessToken;
  // Control: the token works everywhere before the change.
  assert.equal((await api.get("/api/v1/me", oldToken)).status, 200);
  const early = await oauthbearer(fx, "early", oldToken);
  assert.equal(early.result.command, "903", early.result.raw);

  const changed = await changePassword(api, oldToken);
  // The IRC session the old token made before the change ends with it.
  assert.match(await early.client.waitFor(/^ERROR /), /Password changed/);

  // The old token, still within its 15 minutes, is refused: HTTP and IRC.
  await assertInvalidToken(api, oldToken, "the token from before the change");
  const late = await oauthbearer(fx, "thief", oldToken);
  assert.equal(late.result.command, "904", late.result.raw);
  late.client.send("WHOIS thief");
  const whois = await late.client.waitFor(/ (330|318) /);
  assert.doesNotMatch(whois, / 330 /, "the connection is logged in to no account");

  // The change's own session, a refresh of it and a login with the new password all work.
  assert.equal((await api.get("/api/v1/me", changed.tokens.accessToken)).status, 200);
  const refreshed = await api.refresh(changed.tokens.refreshToken);
  assert.equal(refreshed.status, 200, refreshed.text);
  const login = await api.login("alice", NEW_PASSWORD);
  assert.equal(login.status, 200, login.text);
  for (const [what, token] of [
    ["password change", changed.tokens.accessToken],
    ["refresh", refreshed.body.tokens.accessToken],
    ["login", login.body.tokens.accessToken],
  ] as const) {
    assert.equal((await api.get("/api/v1/me", token)).status, 200, what);
    const irc = await oauthbearer(fx, `after${what.length}`, token);
    assert.equal(irc.result.command, "903", `${what}: ${irc.result.raw}`);
  }

  // A second change refuses the tokens of the first one as well.
  const again = await api.request<SessionView>("PUT", "/api/v1/me/password", { token: login.body.tokens.accessToken, json: { currentPassword: NEW_PASSWORD, newPassword: PASSWORD } });
  assert.equal(again.status, 200, again.text);
  await assertInvalidToken(api, login.body.tokens.accessToken, "a token from before the second change");
  assert.equal((await oauthbearer(fx, "second", changed.tokens.accessToken)).result.command, "904");
  assert.equal((await api.get("/api/v1/me", again.body.tokens.accessToken)).status, 200);
});

test("the cmy_access cookie and Bearer on /f/ refuse a token from before the password change", async (t) => {
  const { api } = await serve(t);
  const oldToken = (await api.register("alice")).tokens.accessToken;
  const put = await fetch(`${api.base}/api/v1/files/content?path=${encodeURIComponent("/notes.txt")}`, { method: "PUT", headers: { authorization: `Bearer ${oldToken}` }, body: "notes" });
  assert.equal(put.status, 201, await put.text());
  const share = await api.post<{ url: string }>("/api/v1/shares", { path: "/notes.txt" }, oldToken);
  assert.equal(share.status, 201, share.text);
  const open = async (headers: Record<string, string>): Promise<number> => {
    const response = await fetch(`${api.base}${share.body.url}`, { headers });
    await response.arrayBuffer();
    return response.status;
  };
  const cookie = (token: string) => ({ cookie: `cmy_access=${token}` });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  assert.equal(await open(cookie(oldToken)), 200, "control: the cookie opens the share before the change");

  const changed = await changePassword(api, oldToken);
  assert.equal(await open(cookie(oldToken)), 401);
  assert.equal(await open(bearer(oldToken)), 401);
  assert.equal(await open(cookie(changed.tokens.accessToken)), 200);
  assert.equal(await open(bearer(changed.tokens.accessToken)), 200);
});

test("a token without the cv claim (issued before it existed) counts as version 0: accepted until the first password change", async (t) => {
  const { fx, api } = await serve(t);
  const alice = await api.register("alice");
  const bob = await api.register("bob");
  const key = await importPKCS8(await readFile(join(fx.server.dataDir, GENERATED_KEY_FILE), "utf8"), "EdDSA");
  const legacy = (account: { id: number; name: string }): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ name: account.name })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setSubject(String(account.id))
      .setIssuer("cmymessage.local")
      .setAudience("cmymessage")
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 600)
      .sign(key);
  };
  await changePassword(api, alice.tokens.accessToken);

  const bobs = await legacy(bob.account);
  assert.equal((await api.get("/api/v1/me", bobs)).status, 200, "bob never changed his password");
  assert.equal((await oauthbearer(fx, "bob", bobs)).result.command, "903");
  const alices = await legacy(alice.account);
  await assertInvalidToken(api, alices, "alice changed hers");
  assert.equal((await oauthbearer(fx, "alice", alices)).result.command, "904");
});

test("Authorization: Bearer followed by more than one space is accepted (RFC 6750: 1*SP)", async (t) => {
  const { api } = await serve(t);
  const { accessToken } = (await api.register("alice")).tokens;
  for (const spaces of ["  ", "   "]) {
    const reply = await api.request("GET", "/api/v1/me", { headers: { authorization: `Bearer${spaces}${accessToken}` } });
    assert.equal(reply.status, 200, `${JSON.stringify(spaces)}: ${reply.text}`);
  }
  const lower = await api.request("GET", "/api/v1/me", { headers: { authorization: `bearer  ${accessToken}` } });
  assert.equal(lower.status, 200, lower.text);
  // Still a single token after the spaces: anything else is no token.
  const twoTokens = await api.request("GET", "/api/v1/me", { headers: { authorization: `Bearer  ${accessToken} ${accessToken}` } });
  assert.ok(isProblem(twoTokens, 401), twoTokens.text);
});

test('a password change with "cookie": true sets cmy_access to the new session\'s token, so shared files open with the cookie again', async (t) => {
  const { api } = await serve(t);
  const oldToken = (await api.register("alice")).tokens.accessToken;
  const put = await fetch(`${api.base}/api/v1/files/content?path=${encodeURIComponent("/pic.txt")}`, { method: "PUT", headers: { authorization: `Bearer ${oldToken}` }, body: "pic" });
  assert.equal(put.status, 201, await put.text());
  const share = await api.post<{ url: string }>("/api/v1/shares", { path: "/pic.txt" }, oldToken);
  assert.equal(share.status, 201, share.text);
  const response = await fetch(`${api.base}/api/v1/me/password`, {
    method: "PUT",
    headers: { authorization: `Bearer ${oldToken}`, "content-type": "application/json" },
    body: JSON.stringify({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD, cookie: true }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const session = (await response.json()) as SessionView;
  const setCookie = response.headers.get("set-cookie") ?? "";
  assert.match(setCookie, /^cmy_access=[^;]+/, "the answer sets the cookie");
  const value = /^cmy_access=([^;]+)/.exec(setCookie)![1]!;
  assert.equal(value, session.tokens.accessToken, "the cookie holds the new session's access token");
  const opened = await fetch(`${api.base}${share.body.url}`, { headers: { cookie: `cmy_access=${value}` } });
  await opened.arrayBuffer();
  assert.equal(opened.status, 200);
});
