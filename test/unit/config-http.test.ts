import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig, validateConfig, ConfigError } from "../../src/config/load.js";

test("http defaults: dual-stack :8080, 15-minute access and 30-day refresh tokens (a replaced one good again for 30 s), 10 s headers and 30 s requests, 16 KiB bodies, 32 pipelined requests, no proxy trust, own origin only, dist/web", async () => {
  const config = await loadConfig(undefined, {});
  assert.deepEqual(config.http, {
    listen: [{ host: "::", port: 8080 }],
    jwtKeyFile: "",
    accessTokenMinutes: 15,
    refreshTokenDays: 30,
    refreshReuseGraceSeconds: 30,
    headersTimeoutSeconds: 10,
    requestTimeoutSeconds: 30,
    bodyLimitBytes: 16384,
    maxPipelinedRequests: 32,
    trustProxy: 0,
    publicUrl: "",
    allowedOrigins: [],
    webRoot: "",
  });
});

test("http.allowedOrigins takes origins in their normal form and refuses anything with a path, a wildcard or another scheme", () => {
  const origins = validateConfig({ http: { allowedOrigins: ["https://Chat.Example.org", "https://example.org:443", "http://localhost:5173/"] } }, "test").http.allowedOrigins;
  assert.deepEqual(origins, ["https://chat.example.org", "https://example.org", "http://localhost:5173"]);
  for (const bad of ["https://example.org/app", "*", "null", "ftp://example.org", "https://user@example.org"]) {
    assert.throws(() => validateConfig({ http: { allowedOrigins: [bad] } }, "test"), (error: unknown) => error instanceof ConfigError && /http\.allowedOrigins\.0/.test(error.message), bad);
  }
});

test("http.trustProxy is a count of proxy hops: false = 0, true = 1 (one proxy), or 1 to 10; anything else is refused naming the key", () => {
  const hops = (trustProxy: unknown): number => validateConfig({ http: { trustProxy } }, "test").http.trustProxy;
  assert.equal(hops(false), 0);
  assert.equal(hops(true), 1);
  assert.equal(hops(2), 2);
  assert.equal(hops(10), 10);
  for (const bad of [0, 11, 1.5, -1, "1", "loopback"]) {
    assert.throws(() => hops(bad), (error: unknown) => error instanceof ConfigError && /http\.trustProxy: false, true \(one proxy\) or the number of proxies/.test(error.message), String(bad));
  }
});

test('CMY_HTTP_LISTEN takes a list, "" turns HTTP off; CMY_HTTP_JWT_KEY sets the key file; --http-listen wins', async () => {
  const env = await loadConfig(undefined, { CMY_HTTP_LISTEN: "127.0.0.1:8081, [::1]:8082", CMY_HTTP_JWT_KEY: "/etc/cmy/jwt.pem" });
  assert.deepEqual(env.http.listen, [
    { host: "127.0.0.1", port: 8081 },
    { host: "::1", port: 8082 },
  ]);
  assert.equal(env.http.jwtKeyFile, "/etc/cmy/jwt.pem");
  assert.deepEqual((await loadConfig(undefined, { CMY_HTTP_LISTEN: "" })).http.listen, []);
  const flag = await loadConfig(undefined, { CMY_HTTP_LISTEN: "127.0.0.1:8081" }, { httpListen: "0.0.0.0:9000" });
  assert.deepEqual(flag.http.listen, [{ host: "0.0.0.0", port: 9000 }]);
});

test("bad http values are refused naming the key", async () => {
  await assert.rejects(loadConfig(undefined, { CMY_HTTP_LISTEN: "::1:80" }), (error: unknown) => error instanceof ConfigError && /http\.listen\.0/.test(error.message));
  for (const bad of [-1, 301, "30"]) {
    assert.throws(() => validateConfig({ http: { refreshReuseGraceSeconds: bad } }, "test"), (error: unknown) => error instanceof ConfigError && /http\.refreshReuseGraceSeconds/.test(error.message), String(bad));
  }
  assert.equal(validateConfig({ http: { refreshReuseGraceSeconds: 0 } }, "test").http.refreshReuseGraceSeconds, 0);
});
