/**
 * SASL OAUTHBEARER (RFC 7628) with the HTTP API's access token: a client that logged
 * in over HTTP joins IRC without the password, on any transport, through the same
 * login path as PLAIN (multiclient attach included). Refusals are 904 and count
 * nothing against the brute-force guard.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup } from "../support/fixture.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { parseLine, type Line } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { SASL_END, saslPlain, sendAuthenticateData, startMechanism } from "../support/sasl.js";
import { loadTokenKey } from "../../src/auth/token-key.js";
import { AccessTokens } from "../../src/auth/tokens.js";

/** The client's one OAUTHBEARER message: GS2 header, then key/value pairs between ^A separators. */
function oauthPayload(token: string, options: { authzid?: string; extra?: string } = {}): string {
  const authzid = options.authzid === undefined ? "" : `a=${options.authzid}`;
  const extra = options.extra === undefined ? "" : `${options.extra}\x01`;
  return Buffer.from(`n,${authzid},\x01${extra}auth=Bearer ${token}\x01\x01`, "utf8").toString("base64");
}

/** A whole OAUTHBEARER exchange with base64 `payload`; resolves with the numeric that ended it. */
async function oauthbearer(client: RawClient, payload: string): Promise<Line> {
  const started = await startMechanism(client, "OAUTHBEARER");
  if ("end" in started) return started.end;
  assert.equal(started.data, "+");
  sendAuthenticateData(client, payload);
  return parseLine(await client.waitFor(SASL_END));
}

/** Connects, negotiates sasl, runs OAUTHBEARER before registering, then registers as `nick`. */
async function connectWithToken(fx: Awaited<ReturnType<typeof setup>>, nick: string, payload: string): Promise<{ client: RawClient; result: Line; welcome: Line }> {
  const client = fx.track(await fx.rawConnect());
  client.send("CAP LS 302");
  client.send("CAP REQ :sasl");
  client.send(`NICK ${nick}`);
  client.send(`USER ${nick} 0 * :${nick}`);
  await client.waitFor(/ CAP \S+ ACK /);
  const result = await oauthbearer(client, payload);
  client.send("CAP END");
  const welcome = parseLine(await client.waitFor(/ 001 /));
  return { client, result, welcome };
}

/** An HTTP + IRC server where PLAIN is refused without TLS even from loopback, and the API. */
async function serve(t: Parameters<typeof setup>[0]) {
  const fx = await setup(t, { http: { listen: ["127.0.0.1:0"] }, auth: { plaintextSaslFromLoopback: false } });
  return { fx, api: ApiClient.forPort(fx.server.httpPort) };
}

test("CAP LS and 908 offer OAUTHBEARER when the web door is on, and not when it is off", async (t) => {
  const { fx } = await serve(t);
  const client = fx.track(await fx.rawConnect());
  client.send("CAP LS 302");
  const ls = await client.waitFor(/ CAP \* LS /);
  assert.match(ls, /(^| |:)sasl=PLAIN,SCRAM-SHA-256,OAUTHBEARER( |$)/);
  client.send("AUTHENTICATE NOPE");
  assert.match(await client.waitFor(/ 908 /), / 908 \* PLAIN,SCRAM-SHA-256,OAUTHBEARER :/);
  await client.waitFor(/ 904 /);

  const ircOnly = await setup(t);
  const other = ircOnly.track(await ircOnly.rawConnect());
  other.send("CAP LS 302");
  assert.match(await other.waitFor(/ CAP \* LS /), /(^| |:)sasl=PLAIN,SCRAM-SHA-256( |$)/);
  other.send("AUTHENTICATE OAUTHBEARER");
  assert.match(await other.waitFor(/ 908 /), / 908 \* PLAIN,SCRAM-SHA-256 :/);
  assert.match(await other.waitFor(SASL_END), / 904 /);
});

test("the access token logs in over plain TCP where PLAIN is refused; the account is the token's", async (t) => {
  const { fx, api } = await serve(t);
  const session = await api.register("alice");

  // PLAIN (a password in clear) is refused on this connection...
  const plain = fx.track(await fx.rawConnect());
  plain.send("CAP REQ :sasl");
  await plain.waitFor(/ CAP \S+ ACK /);
  assert.match((await saslPlain(plain, "alice", PASSWORD)).raw, / 904 .*needs a TLS connection/);

  // ...the 15-minute token is not.
  const { client, result, welcome } = await connectWithToken(fx, "alice", oauthPayload(session.tokens.accessToken));
  assert.equal(result.command, "903", result.raw);
  assert.equal(welcome.params[0], "alice");
  client.send("WHOIS alice");
  assert.match(await client.waitFor(/ 330 /), / 330 alice alice alice :/);
});

test("an authzid naming the token's account (any case) is accepted; another account's is refused", async (t) => {
  const { fx, api } = await serve(t);
  const alice = await api.register("alice");
  await api.register("bob");
  const refused = await connectWithToken(fx, "mallory", oauthPayload(alice.tokens.accessToken, { authzid: "bob" }));
  assert.equal(refused.result.command, "904");
  assert.equal(refused.welcome.params[0], "mallory");
  const accepted = await connectWithToken(fx, "alice", oauthPayload(alice.tokens.accessToken, { authzid: "ALICE" }));
  assert.equal(accepted.result.command, "903", accepted.result.raw);
  assert.match(accepted.result.raw, / 903 alice :/);
});

test("a long message comes in 400-byte AUTHENTICATE chunks, as for PLAIN", async (t) => {
  const { fx, api } = await serve(t);
  const { accessToken } = (await api.register("alice")).tokens;
  // Keys other than auth (host, port) are allowed and ignored; a long host makes several chunks.
  const payload = oauthPayload(accessToken, { extra: `host=${"h".repeat(700)}.example.org\x01port=6667` });
  assert.ok(payload.length > 800);
  const { result } = await connectWithToken(fx, "alice", payload);
  assert.equal(result.command, "903", result.raw);
});

test("a bad, expired or foreign token and malformed messages get 904, change nothing and count nothing against the guard", async (t) => {
  const { fx, api } = await serve(t);
  const alice = await api.register("alice");
  const key = await loadTokenKey({ keyFile: "", dataDir: fx.server.dataDir });
  const settings = { issuer: "cmymessage.local", lifetimeMinutes: 15 };
  const expired = await new AccessTokens(key, settings, () => Date.now() - 3_600_000).issue(1, "alice");
  const otherIssuer = await new AccessTokens(key, { ...settings, issuer: "elsewhere.example" }).issue(1, "alice");
  const [header, payload] = alice.tokens.accessToken.split(".");
  const forged = `${header}.${payload}.${"A".repeat(86)}`;

  const client = fx.track(await fx.rawConnect());
  client.send("CAP REQ :sasl");
  client.send("NICK visitor");
  client.send("USER visitor 0 * :visitor");
  await client.waitFor(/ CAP \S+ ACK /);
  const attempts = [
    oauthPayload(expired.token),
    oauthPayload(otherIssuer.token),
    oauthPayload(forged),
    oauthPayload("not-a-jwt"),
    Buffer.from(`n,,\x01auth=Basic ${Buffer.from("alice:pw").toString("base64")}\x01\x01`).toString("base64"),
    Buffer.from(`p=tls-unique,,\x01auth=Bearer ${alice.tokens.accessToken}\x01\x01`).toString("base64"),
    Buffer.from(`n,,auth=Bearer ${alice.tokens.accessToken}`).toString("base64"),
    Buffer.from(`n,,\x01auth=Bearer ${alice.tokens.accessToken}\x01auth=Bearer ${alice.tokens.accessToken}\x01\x01`).toString("base64"),
    Buffer.from("n,,\x01\x01").toString("base64"),
    "!!!not base64!!!",
  ];
  // More failures than the guard's account and address lockouts would allow, were they counted.
  for (let round = 0; round < 4; round++) {
    for (const attempt of attempts) {
      const end = await oauthbearer(client, attempt);
      assert.equal(end.command, "904", `${attempt}: ${end.raw}`);
    }
  }
  // Still a guest, and nothing throttled: the right token, then the password, work at once.
  const good = await connectWithToken(fx, "alice", oauthPayload(alice.tokens.accessToken));
  assert.equal(good.result.command, "903");
  const login = await api.login("alice");
  assert.equal(login.status, 200, login.text);
  client.send("CAP END");
  await client.waitFor(/ 001 visitor /);
  client.send("WHOIS visitor");
  const whois = await client.waitFor(/ 318 /);
  assert.ok(!client.lines.some((line) => / 330 /.test(line)), whois);
});

test("a deleted account's token is refused", async (t) => {
  // Loopback trusted with a password in clear here: DROP takes the password, under SASL PLAIN's rule.
  const fx = await setup(t, { http: { listen: ["127.0.0.1:0"] } });
  const api = ApiClient.forPort(fx.server.httpPort);
  const { accessToken } = (await api.register("gone")).tokens;
  const owner = await connectWithToken(fx, "gone", oauthPayload(accessToken));
  assert.equal(owner.result.command, "903");
  owner.client.send(`PRIVMSG NickServ :DROP ${PASSWORD}`);
  await owner.client.waitFor(/NOTICE gone :.*has been dropped/);
  const again = await connectWithToken(fx, "someone", oauthPayload(accessToken));
  assert.equal(again.result.command, "904");
});

test("a second connection logging in with the token becomes one more connection of the account's user", async (t) => {
  const { fx, api } = await serve(t);
  const { accessToken } = (await api.register("alice")).tokens;
  const first = await connectWithToken(fx, "alice", oauthPayload(accessToken));
  await first.client.waitFor(/ 366 alice #general /);
  const second = await connectWithToken(fx, "phone", oauthPayload(accessToken));
  assert.equal(second.result.command, "903");
  // Multiclient: the new connection takes the user's nick and is shown its channels.
  assert.equal(second.welcome.params[0], "alice");
  await second.client.waitFor(/ 366 alice #general /);
  second.client.send("PRIVMSG #general :from the phone");
  const other = fx.track(await fx.raw("watcher"));
  second.client.send("PRIVMSG #general :seen by the watcher");
  await other.waitFor(/^:alice!\S+ PRIVMSG #general :seen by the watcher$/);
  // The first connection sees what the second sent (one user, two connections).
  await first.client.waitFor(/^:alice!\S+ PRIVMSG #general :from the phone$/);
});
