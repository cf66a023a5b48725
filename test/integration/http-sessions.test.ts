import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, isProblem } from "../support/http-client.js";

let server: TestServer;
let api: ApiClient;
before(async () => {
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  api = ApiClient.forPort(server.httpPort);
});
after(() => server.stop());

test("DELETE /api/v1/me/sessions signs out every device of the account, and no other account", async () => {
  const laptop = await api.register("ivan");
  const phone = (await api.login("ivan")).body;
  const rotated = (await api.refresh(phone.tokens.refreshToken)).body;
  const someoneElse = await api.register("judy");

  const out = await api.request("DELETE", "/api/v1/me/sessions", { token: laptop.tokens.accessToken });
  assert.equal(out.status, 204);
  assert.equal(out.text, "");
  // The browser's cookie for shared files goes too.
  assert.match(out.headers.get("set-cookie") ?? "", /^cmy_access=;.*Max-Age=0/);

  // Every family of the account is dead, the caller's own included, rotated tokens too.
  assert.ok(isProblem(await api.refresh(laptop.tokens.refreshToken), 401));
  assert.ok(isProblem(await api.refresh(rotated.tokens.refreshToken), 401));
  // Another account keeps its session.
  assert.equal((await api.refresh(someoneElse.tokens.refreshToken)).status, 200);
  // A new login works as before.
  assert.equal((await api.login("ivan")).status, 200);
});

test("DELETE /api/v1/me/sessions without a valid access token is a 401 problem and ends nothing", async () => {
  const session = await api.register("kate");
  assert.ok(isProblem(await api.request("DELETE", "/api/v1/me/sessions"), 401));
  assert.ok(isProblem(await api.request("DELETE", "/api/v1/me/sessions", { token: "not.a.token" }), 401));
  assert.equal((await api.refresh(session.tokens.refreshToken)).status, 200);
});
