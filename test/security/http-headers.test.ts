import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { sharedHttpServer, isProblem, PASSWORD, type HttpReply } from "../support/http-client.js";
import { curl } from "../support/curl.js";

const http = sharedHttpServer();

/** What docs/http-api.md promises for every answer of /f/, whatever gives it. */
const SHARE_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "sandbox; default-src 'none'",
  "cache-control": "private, no-cache",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
};

/** What every answer carries: no type sniffing, no Referer, and a policy under which nothing runs unless the page is the web client's. */
function assertSecurityHeaders(what: string, headers: Headers): void {
  assert.equal(headers.get("x-content-type-options"), "nosniff", `${what}: X-Content-Type-Options`);
  assert.equal(headers.get("referrer-policy"), "no-referrer", `${what}: Referrer-Policy`);
  const csp = headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src '(none|self)'/, `${what}: Content-Security-Policy ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${what}: Content-Security-Policy ${csp}`);
  // Framing is refused, or (shared files) the content is sandboxed: no script, no forms, no same origin.
  assert.match(csp, /frame-ancestors 'none'|^sandbox;/, `${what}: Content-Security-Policy ${csp}`);
}

/** RFC 6749 §5.1: a response carrying a token is never cached. */
function assertTokenResponse(what: string, reply: HttpReply<unknown>, status: number): void {
  assert.equal(reply.status, status, `${what}: ${reply.text}`);
  assert.match(reply.text, /accessToken/, what);
  assert.equal(reply.headers.get("cache-control"), "no-store", `${what}: Cache-Control`);
  assertSecurityHeaders(what, reply.headers);
}

test("every answer carrying a token (register, login, refresh, password change) is Cache-Control: no-store", async () => {
  const created = await http.api.post("/api/v1/accounts", { name: "hdr", password: PASSWORD });
  assertTokenResponse("register", created, 201);
  const login = await http.api.login("hdr");
  assertTokenResponse("login", login, 200);
  const refreshed = await http.api.refresh(login.body.tokens.refreshToken);
  assertTokenResponse("refresh", refreshed, 200);
  const changed = await http.api.request("PUT", "/api/v1/me/password", {
    token: refreshed.body.tokens.accessToken,
    json: { currentPassword: PASSWORD, newPassword: `${PASSWORD} 2` },
  });
  assertTokenResponse("password change", changed, 200);
});

test("errors, unknown paths and answers written outside the app carry the security headers too", async () => {
  const failedLogin = await http.api.post("/api/v1/auth/login", { name: "nobody", password: "wrong password" });
  assert.equal(failedLogin.status, 401);
  assert.equal(failedLogin.headers.get("cache-control"), "no-store");
  assertSecurityHeaders("failed login", failedLogin.headers);
  assertSecurityHeaders("unknown API path", (await http.api.get("/api/v1/nothing")).headers);
  assertSecurityHeaders("unknown page", (await http.api.get("/no/such/page")).headers);
  assertSecurityHeaders("health", (await http.api.get("/healthz")).headers);
  assertSecurityHeaders("share link not found", (await http.api.get("/f/AAAAAAAAAAAAAAAAAAAAAA/x.html")).headers);

  // Not HTTP at all: the server's own answer, written to the socket before any request exists.
  const raw = await new Promise<string>((resolve) => {
    const socket = net.connect({ port: http.server.httpPort, host: "127.0.0.1" });
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (data += chunk));
    socket.on("error", () => {});
    socket.on("close", () => resolve(data));
    socket.write("NOT HTTP\r\n\r\n");
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
  const head = raw.split("\r\n\r\n")[0]!;
  const headers = new Headers(head.split("\r\n").slice(1).map((line) => line.split(/:\s*/, 2) as [string, string]));
  assertSecurityHeaders("raw 400", headers);
});

test("a request target in absolute form (curl --request-target http://…) is under /api/ all the same: a token answer is no-store", async () => {
  await http.api.register("absolute");
  const base = `http://127.0.0.1:${http.server.httpPort}`;
  const login = await curl([
    "--request-target",
    `${base}/api/v1/auth/login`,
    "-H",
    "Content-Type: application/json",
    "--data-binary",
    JSON.stringify({ name: "absolute", password: PASSWORD }),
    `${base}/`,
  ]);
  assert.equal(login.status, 200, login.body.toString());
  assert.match(login.body.toString("utf8"), /"accessToken"/);
  assert.equal(login.headers.get("cache-control"), "no-store");
  const missing = await curl(["--request-target", `${base}/api/v1/nothing?x=1`, `${base}/`]);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("cache-control"), "no-store");
  assert.match(JSON.parse(missing.body.toString("utf8")).detail as string, /^No route GET \/api\/v1\/nothing$/);
});

test("a path spelt with percent-escapes (/%61pi/…, /%66/…) gets the headers of the route the router takes it to", async () => {
  await http.api.register("escaped");
  const base = `http://127.0.0.1:${http.server.httpPort}`;
  const login = await curl(["--path-as-is", "-H", "Content-Type: application/json", "--data-binary", JSON.stringify({ name: "escaped", password: PASSWORD }), `${base}/%61pi/v1/auth/login`]);
  assert.equal(login.status, 200, login.body.toString());
  assert.equal(login.headers.get("cache-control"), "no-store");
  const share = await curl(["--path-as-is", `${base}/%66/nosuchshare/x.png`]);
  assert.equal(share.status, 401);
  assert.match(share.headers.get("content-security-policy") ?? "", /sandbox/);
});

test("what the router refuses before any route (bad percent-encoding, overlong UTF-8, a path segment over 100 characters) carries the headers and echoes no path", async () => {
  const segment = "a".repeat(5_000);
  for (const [what, path, status] of [
    ["bad percent-encoding", "/api/v1/channels/%ZZ/messages", 400],
    ["overlong UTF-8", "/api/v1/channels/%C0%AE/messages", 400],
    ["a segment over 100 characters", `/api/v1/channels/${segment}/messages`, 414],
  ] as const) {
    const reply = await http.api.get(path);
    assert.ok(isProblem(reply, status), `${what}: ${reply.status} ${reply.text.slice(0, 300)}`);
    assertSecurityHeaders(what, reply.headers);
    assert.equal(reply.headers.get("cache-control"), "no-store", `${what}: under /api/`);
    assert.doesNotMatch(reply.text, /messages|aaaaaaaaaa/, `${what}: the path is not echoed`);
  }
  assertSecurityHeaders("bad percent-encoding outside /api/", (await http.api.get("/%ZZ")).headers);
});

test("every answer under /f/ carries the share headers, those no route of /f/ gives too (405, 404, a malformed path)", async () => {
  const id = "AAAAAAAAAAAAAAAAAAAAAA";
  for (const [what, method, path, status] of [
    ["no credentials", "GET", `/f/${id}/x.html`, 401],
    ["POST", "POST", `/f/${id}/x.html`, 405],
    ["no name", "GET", `/f/${id}`, 404],
    ["bad percent-encoding", "GET", `/f/${id}/%ZZ`, 400],
  ] as const) {
    const reply = await http.api.request(method, path);
    assert.equal(reply.status, status, `${what}: ${reply.text}`);
    assertSecurityHeaders(what, reply.headers);
    for (const [name, value] of Object.entries(SHARE_HEADERS)) assert.equal(reply.headers.get(name), value, `${what}: ${name}`);
  }
});
