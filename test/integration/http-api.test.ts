import { test } from "node:test";
import assert from "node:assert/strict";
import { sharedHttpServer, isProblem } from "../support/http-client.js";

const http = sharedHttpServer();

const ROUTES: ReadonlyArray<[string, string]> = [
  ["post", "/api/v1/accounts"],
  ["post", "/api/v1/auth/login"],
  ["post", "/api/v1/auth/refresh"],
  ["post", "/api/v1/auth/logout"],
  ["get", "/api/v1/me"],
  ["put", "/api/v1/me/password"],
  ["get", "/api/v1/channels"],
  ["get", "/api/v1/channels/{name}/messages"],
  ["get", "/api/v1/dms/{account}/messages"],
  ["get", "/api/v1/openapi.json"],
  ["get", "/healthz"],
  ["get", "/readyz"],
];

test("/healthz answers", async () => {
  const reply = await http.api.get<{ status: string }>("/healthz");
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body, { status: "ok" });
});

test("the OpenAPI document parses, lists every route with its responses, and names the shared schemas", async () => {
  const reply = await http.api.get("/api/v1/openapi.json");
  assert.equal(reply.status, 200);
  assert.match(reply.headers.get("content-type") ?? "", /^application\/json/);
  const doc = JSON.parse(reply.text) as {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };
  assert.match(doc.openapi, /^3\./);
  for (const [method, path] of ROUTES) {
    const operation = doc.paths[path]?.[method];
    assert.ok(operation, `${method.toUpperCase()} ${path} is missing`);
    assert.ok(Object.keys(operation.responses).some((code) => code.startsWith("2")), `${method} ${path} has no success response`);
  }
  assert.ok(doc.paths["/api/v1/me"]?.["get"]?.security, "authenticated routes say so");
  for (const name of ["Problem", "Account", "TokenPair", "Message", "MessagePage"]) assert.ok(doc.components.schemas[name], `schema ${name}`);
  assert.ok(doc.components.securitySchemes["bearer"]);
  // Every $ref points at a component that exists.
  for (const ref of reply.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(doc.components.schemas[ref[1]!], `dangling $ref ${ref[1]}`);
});

test("unknown routes are 404 problem+json, whatever the method", async () => {
  // `/` is the browser client (http-static-client.test.ts); unknown paths beside it are still problems.
  for (const path of ["/nothing", "/api", "/api/v2/me", "/api/v1/nothing", "/api/v1/channels/%23general", "/healthz/extra"]) {
    const reply = await http.api.get(path);
    assert.ok(isProblem(reply, 404), `${path}: ${reply.status} ${reply.text}`);
    assert.equal(reply.headers.get("allow"), null, path);
  }
  assert.ok(isProblem(await http.api.request("DELETE", "/api/v1/nothing"), 404));
});

test("a method the path does not have is 405 method-not-allowed with Allow naming the ones it has (HEAD with GET)", async () => {
  for (const [method, path, allow] of [
    ["PATCH", "/api/v1/me", "GET, HEAD"],
    ["DELETE", "/api/v1/me", "GET, HEAD"],
    ["GET", "/api/v1/auth/login", "POST"],
    ["PATCH", "/api/v1/accounts", "POST"],
    ["DELETE", "/healthz", "GET, HEAD"],
    ["PUT", "/api/v1/files?path=/x", "DELETE, GET, HEAD"],
    // Parametric and wildcard routes: the concrete path is matched as the router would.
    ["POST", "/api/v1/channels/%23general/messages?limit=5", "GET, HEAD"],
    ["DELETE", "/f/abc123/some/name.png", "GET, HEAD"],
    // OPTIONS is answered only where a route says so (the upload route); no CORS preflight passes elsewhere.
    ["OPTIONS", "/api/v1/me", "GET, HEAD"],
    ["GET", "/api/v1/upload", "OPTIONS, POST"],
  ] as const) {
    const reply = await http.api.request(method, path);
    assert.ok(isProblem(reply, 405), `${method} ${path}: ${reply.status} ${reply.text}`);
    assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:method-not-allowed", `${method} ${path}`);
    assert.equal(reply.headers.get("allow"), allow, `${method} ${path}`);
    assert.match((reply.body as { detail: string }).detail, new RegExp(`^${method} is not allowed on `));
  }
  // HEAD is answered like GET where there is a GET, and is a 405 (without a body) where there is none.
  assert.equal((await http.api.request("HEAD", "/healthz")).status, 200);
  const head = await http.api.request("HEAD", "/api/v1/auth/login");
  assert.equal(head.status, 405);
  assert.equal(head.headers.get("allow"), "POST");
  assert.equal(head.text, "");
});

test("a body over the limit gets 413 problem+json, by declared length and by what is actually sent", async () => {
  const big = JSON.stringify({ name: "alice", password: "p".repeat(20 * 1024) });
  const declared = await http.api.request("POST", "/api/v1/auth/login", { raw: big });
  assert.ok(isProblem(declared, 413), `${declared.status} ${declared.text}`);
  // Chunked: no Content-Length to refuse up front, the limit applies while reading.
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? '{"name":"' : "x".repeat(1024)));
      controller.close();
    },
  });
  const response = await fetch(`${http.api.base}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
  assert.equal(response.status, 413);
  assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
});

test("a validation error names the field, as problem+json", async () => {
  const reply = await http.api.post("/api/v1/auth/login", { name: "alice" });
  assert.ok(isProblem(reply, 400));
  assert.match((reply.body as { detail: string }).detail, /password/);
});

test("responses carry only what the schema lists", async () => {
  const session = await http.api.register("alice");
  const me = await http.api.get<{ account: Record<string, unknown> }>("/api/v1/me", session.tokens.accessToken);
  assert.deepEqual(Object.keys(me.body.account).sort(), ["createdAt", "email", "id", "name"]);
});
