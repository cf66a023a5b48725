/**
 * The built web client served at / from memory: exact headers (cache rules, CSP,
 * nosniff, no referrer), ETag revalidation, HEAD, compression, and no way from a
 * URL to any other file. Requests are raw HTTP/1.1 (node:http) so paths reach the
 * server exactly as written, `..` included.
 */
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { startTestServer, type TestServer } from "../support/test-server.js";

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const INDEX = '<!doctype html><html lang="en"><head><title>CmyMessage</title><script type="module" src="/assets/app-abc123.js"></script></head><body></body></html>\n';
const APP = `${"export const greeting = 'hello';\n".repeat(100)}console.log(greeting);\n`;
const SW = "self.addEventListener('push', () => {});\n";

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request with the path sent byte for byte as given. */
function request(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

function assertSecurityHeaders(reply: Reply, what: string): void {
  assert.equal(reply.headers["content-security-policy"], CSP, `${what}: CSP`);
  assert.equal(reply.headers["x-content-type-options"], "nosniff", `${what}: nosniff`);
  assert.equal(reply.headers["referrer-policy"], "no-referrer", `${what}: Referrer-Policy`);
}

describe("a built client", () => {
  let server: TestServer;
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "cmy-web-"));
    await mkdir(join(root, "assets"));
    await writeFile(join(root, "index.html"), INDEX);
    await writeFile(join(root, "assets", "app-abc123.js"), APP);
    await writeFile(join(root, "sw.js"), SW);
    await writeFile(join(root, "manifest.webmanifest"), '{"name":"CmyMessage"}');
    await writeFile(join(root, "we ird.js"), "not served: the name needs encoding");
    await writeFile(join(root, ".env"), "SECRET=dot files are not served");
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"], webRoot: root } });
  });
  after(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  test("/ and /index.html: the page with no-cache, the CSP, nosniff, no referrer and an ETag", async () => {
    for (const path of ["/", "/index.html"]) {
      const reply = await request(server.httpPort, path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.body.toString(), INDEX);
      assert.equal(reply.headers["content-type"], "text/html; charset=utf-8");
      assert.equal(reply.headers["cache-control"], "no-cache");
      assert.equal(reply.headers["content-length"], String(Buffer.byteLength(INDEX)));
      assert.match(reply.headers["etag"] ?? "", /^"[A-Za-z0-9_-]+"$/);
      assertSecurityHeaders(reply, path);
    }
  });

  test("hashed assets are immutable for a year; other root files are no-cache", async () => {
    const asset = await request(server.httpPort, "/assets/app-abc123.js");
    assert.equal(asset.status, 200);
    assert.equal(asset.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(asset.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(asset.body.toString(), APP);
    assertSecurityHeaders(asset, "asset");
    const sw = await request(server.httpPort, "/sw.js");
    assert.equal(sw.status, 200);
    assert.equal(sw.headers["cache-control"], "no-cache");
    assert.equal(sw.body.toString(), SW);
    assertSecurityHeaders(sw, "sw.js");
    const manifest = await request(server.httpPort, "/manifest.webmanifest");
    assert.equal(manifest.headers["content-type"], "application/manifest+json; charset=utf-8");
    assert.equal(manifest.headers["cache-control"], "no-cache");
  });

  test("If-None-Match answers 304 with the same validators and headers, and no body", async () => {
    const first = await request(server.httpPort, "/assets/app-abc123.js");
    const etag = first.headers["etag"]!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const again = await request(server.httpPort, "/assets/app-abc123.js", { headers: { "if-none-match": ifNoneMatch } });
      assert.equal(again.status, 304, ifNoneMatch);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers["etag"], etag);
      assert.equal(again.headers["cache-control"], "public, max-age=31536000, immutable");
      assertSecurityHeaders(again, "304");
    }
    const changed = await request(server.httpPort, "/assets/app-abc123.js", { headers: { "if-none-match": '"not-this-one"' } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.toString(), APP);
  });

  test("Accept-Encoding: brotli first, then gzip, each with its own ETag and Vary; a 304 for either", async () => {
    const br = await request(server.httpPort, "/assets/app-abc123.js", { headers: { "accept-encoding": "gzip, deflate, br" } });
    assert.equal(br.headers["content-encoding"], "br");
    assert.equal(br.headers["vary"], "Accept-Encoding");
    assert.ok(br.body.length < Buffer.byteLength(APP) / 4, "compressed");
    assert.equal(brotliDecompressSync(br.body).toString(), APP);
    const gz = await request(server.httpPort, "/assets/app-abc123.js", { headers: { "accept-encoding": "gzip, br;q=0" } });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.equal(gunzipSync(gz.body).toString(), APP);
    const identity = await request(server.httpPort, "/assets/app-abc123.js", { headers: { "accept-encoding": "identity" } });
    assert.equal(identity.headers["content-encoding"], undefined);
    assert.equal(new Set([br.headers["etag"], gz.headers["etag"], identity.headers["etag"]]).size, 3, "one ETag per representation");
    const revalidated = await request(server.httpPort, "/assets/app-abc123.js", { headers: { "accept-encoding": "br", "if-none-match": br.headers["etag"]! } });
    assert.equal(revalidated.status, 304);
    // Too small to gain from compression: sent as it is.
    const small = await request(server.httpPort, "/sw.js", { headers: { "accept-encoding": "br, gzip" } });
    assert.equal(small.headers["content-encoding"], undefined);
  });

  test("HEAD: the same headers as GET, no body", async () => {
    for (const path of ["/", "/assets/app-abc123.js"]) {
      const get = await request(server.httpPort, path);
      const head = await request(server.httpPort, path, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      for (const name of ["content-type", "content-length", "etag", "cache-control", "content-security-policy", "x-content-type-options", "referrer-policy"]) {
        assert.equal(head.headers[name], get.headers[name], `${path}: ${name}`);
      }
    }
  });

  test("unknown paths and every traversal attempt get the 404 problem; nothing outside the client is read", async () => {
    const paths = [
      "/nope.js",
      "/assets/",
      "/assets/missing.js",
      "/../package.json",
      "/%2e%2e/package.json",
      "/%2E%2E/%2E%2E/package.json",
      "/assets/../../x",
      "/assets/../index.html",
      "/assets/..%2f..%2fpackage.json",
      "/..%5c..%5cpackage.json",
      "//etc/passwd",
      "/index.html/",
      "/we%20ird.js",
      "/.env",
      "/sw.js%00.html",
    ];
    for (const path of paths) {
      const reply = await request(server.httpPort, path);
      assert.equal(reply.status, 404, path);
      assert.equal(reply.headers["content-type"], "application/problem+json; charset=utf-8", path);
      assert.doesNotMatch(reply.body.toString(), /"dependencies"|root:|SECRET/, path);
    }
  });

  test("files are read at start: one added later is not served (no URL ever reaches the file system)", async () => {
    await writeFile(join(root, "late.js"), "console.log('late');");
    assert.equal((await request(server.httpPort, "/late.js")).status, 404);
  });

  test("the API keeps its routes", async () => {
    const health = await request(server.httpPort, "/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body.toString()), { status: "ok" });
    const channels = await request(server.httpPort, "/api/v1/channels");
    assert.equal(channels.status, 200);
    const unknown = await request(server.httpPort, "/api/v1/nothing-here");
    assert.equal(unknown.status, 404);
    assert.match(JSON.parse(unknown.body.toString()).detail as string, /^No route GET \/api\/v1\/nothing-here$/);
  });
});

async function assertNotBuilt(webRoot: string): Promise<void> {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"], webRoot } });
  try {
    const reply = await request(server.httpPort, "/");
    assert.equal(reply.status, 404);
    assert.equal(reply.headers["content-type"], "application/problem+json; charset=utf-8");
    const problem = JSON.parse(reply.body.toString()) as { type: string; status: number; detail: string };
    assert.equal(problem.type, "urn:cmymessage:problem:not-found");
    // npm run build makes dist/web only: for a webRoot of the operator's, the hint is to put the client there.
    assert.equal(problem.detail, `The web client is not in ${webRoot} (http.webRoot): there is no index.html there; put the built client in ${webRoot}, then restart the server`);
    assert.doesNotMatch(problem.detail, /npm run build|dist\/web/);
    assertSecurityHeaders(reply, "not built");
    assert.equal((await request(server.httpPort, "/healthz")).status, 200, "the API works without the client");
  } finally {
    await server.stop();
  }
}

test("a web root that does not exist: GET / says the web client is not there (problem+json 404)", async () => {
  await assertNotBuilt(join(tmpdir(), `cmy-no-web-${process.pid}-${Date.now()}`));
});

test("a web root without index.html (empty, or the wrong folder) is not a client either, and the answer says where to put one", async () => {
  const empty = await mkdtemp(join(tmpdir(), "cmy-empty-web-"));
  try {
    await writeFile(join(empty, "stray.txt"), "not a client\n");
    await assertNotBuilt(empty);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
