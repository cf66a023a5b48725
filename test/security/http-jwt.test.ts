import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SignJWT, base64url, generateKeyPair, importPKCS8, type CryptoKey } from "jose";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, isProblem } from "../support/http-client.js";
import { GENERATED_KEY_FILE } from "../../src/auth/token-key.js";

let server: TestServer;
let api: ApiClient;
let ourKey: CryptoKey;
let publicPem: string;
let accountId: number;
let validToken: string;

const ISSUER = "cmymessage.local";
const AUDIENCE = "cmymessage";

before(async () => {
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  api = ApiClient.forPort(server.httpPort);
  const session = await api.register("alice");
  accountId = session.account.id;
  validToken = session.tokens.accessToken;
  const pem = await readFile(join(server.dataDir, GENERATED_KEY_FILE), "utf8");
  ourKey = await importPKCS8(pem, "EdDSA");
  publicPem = createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "pem" }).toString();
});
after(() => server.stop());

const now = (): number => Math.floor(Date.now() / 1000);

/** Claims as the server itself writes them, with `changes` applied. */
function claims(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return { name: "alice", sub: String(accountId), iss: ISSUER, aud: AUDIENCE, iat: t, nbf: t, exp: t + 600, ...changes };
}

function signed(payload: Record<string, unknown>, key: CryptoKey | Uint8Array = ourKey, alg = "EdDSA"): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
}

async function refused(token: string): Promise<void> {
  const reply = await api.get("/api/v1/me", token);
  assert.ok(isProblem(reply, 401), `expected 401 problem, got ${reply.status} ${reply.text}`);
  assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:invalid-token");
}

test("the key is made on first start, private to the server (0600)", async () => {
  const info = await stat(join(server.dataDir, GENERATED_KEY_FILE));
  assert.equal(info.mode & 0o777, 0o600);
});

test("control: a token signed like the server's own is accepted", async () => {
  assert.equal((await api.get("/api/v1/me", await signed(claims()))).status, 200);
  assert.equal((await api.get("/api/v1/me", validToken)).status, 200);
});

test('alg "none" (an unsigned token) is refused', async () => {
  const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
  const payload = base64url.encode(JSON.stringify(claims()));
  await refused(`${header}.${payload}.`);
  await refused(`${header}.${payload}`);
  const noneUpper = base64url.encode(JSON.stringify({ alg: "None", typ: "JWT" }));
  await refused(`${noneUpper}.${payload}.`);
});

test("algorithm confusion: HS256 keyed with the public key (PEM or raw bytes) is refused", async () => {
  await refused(await signed(claims(), new TextEncoder().encode(publicPem), "HS256"));
  const raw = createPublicKey(publicPem).export({ format: "der", type: "spki" }).subarray(-32);
  await refused(await signed(claims(), new Uint8Array(raw), "HS256"));
  await refused(await signed(claims(), new TextEncoder().encode(publicPem), "HS512"));
});

test("a token signed by another Ed25519 key is refused", async () => {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  await refused(await signed(claims(), privateKey));
});

test("expired and not-yet-valid tokens are refused", async () => {
  const t = now();
  await refused(await signed(claims({ iat: t - 3600, nbf: t - 3600, exp: t - 60 })));
  await refused(await signed(claims({ nbf: t + 3600, exp: t + 7200 })));
});

test("wrong audience or issuer, and missing required claims, are refused", async () => {
  await refused(await signed(claims({ aud: "someone-else" })));
  await refused(await signed(claims({ iss: "evil.example.org" })));
  const { exp: _exp, ...noExpiry } = claims();
  await refused(await signed(noExpiry));
  const { nbf: _nbf, ...noNotBefore } = claims();
  await refused(await signed(noNotBefore));
  await refused(await signed(claims({ sub: "not-a-number" })));
});

test("a tampered payload (another subject, a later expiry) is refused", async () => {
  const bob = await api.register("bob");
  const [header, payload, signature] = validToken.split(".") as [string, string, string];
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
  for (const change of [{ sub: String(bob.account.id), name: "bob" }, { exp: now() + 86_400 }, { name: "root" }]) {
    const forged = base64url.encode(JSON.stringify({ ...decoded, ...change }));
    await refused(`${header}.${forged}.${signature}`);
  }
  // And a flipped signature byte.
  const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
  await refused(`${header}.${payload}.${flipped}`);
});

test("junk in the Authorization header is refused the same way", async () => {
  for (const junk of ["", "a.b", "a.b.c", "....", "eyJ.eyJ.sig", "x".repeat(5000)]) {
    const reply = await api.request("GET", "/api/v1/me", { headers: { authorization: `Bearer ${junk}` } });
    assert.ok(isProblem(reply, 401), `${junk.slice(0, 20)}: ${reply.status}`);
  }
});

test("a token claiming a longer life than the server issues is refused (100-year exp, old iat)", async () => {
  const t = now();
  // Signed with the server's own key: only the lifetime is wrong.
  await refused(await signed(claims({ exp: t + 100 * 365 * 24 * 3600 })));
  // The configured lifetime (http.accessTokenMinutes, 15) plus more than the 5 s skew.
  await refused(await signed(claims({ exp: t + 15 * 60 + 60 })));
  await refused(await signed(claims({ iat: t - 3600, nbf: t - 3600, exp: t + 60 })));
  // Control: the full lifetime is accepted.
  assert.equal((await api.get("/api/v1/me", await signed(claims({ exp: t + 15 * 60 })))).status, 200);
});
