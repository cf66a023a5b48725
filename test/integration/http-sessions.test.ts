import { test } from "node:test";
import assert from "node:assert/strict";
import { sharedHttpServer, isProblem } from "../support/http-client.js";

const http = sharedHttpServer();

test("DELETE /api/v1/me/sessions signs out every device of the account, and no other account", async () => {
  const laptop = await http.api.register("ivan");
  const phone = (await http.api.login("ivan")).body;
  const rotated = (await http.api.refresh(phone.tokens.refreshToken)).body;
  const someoneElse = await http.api.register("judy");

  const out = await http.api.request("DELETE", "/api/v1/me/sessions", { token: laptop.tokens.accessToken });
  assert.equal(out.status, 204);
  assert.equal(out.text, "");
  // The browser's cookie for shared files goes too.
  assert.match(out.headers.get("set-cookie") ?? "", /^cmy_access=;.*Max-Age=0/);

  // Every family of the account is dead, the caller's own included, rotated tokens too.
  assert.ok(isProblem(await http.api.refresh(laptop.tokens.refreshToken), 401));
  assert.ok(isProblem(await http.api.refresh(rotated.tokens.refreshToken), 401));
  // Another account keeps its session.
  assert.equal((await http.api.refresh(someoneElse.tokens.refreshToken)).status, 200);
  // A new login works as before.
  assert.equal((await http.api.login("ivan")).status, 200);
});

test("DELETE /api/v1/me/sessions without a valid access token is a 401 problem and ends nothing", async () => {
  const session = await http.api.register("kate");
  assert.ok(isProblem(await http.api.request("DELETE", "/api/v1/me/sessions"), 401));
  assert.ok(isProblem(await http.api.request("DELETE", "/api/v1/me/sessions", { token: "not.a.token" }), 401));
  assert.equal((await http.api.refresh(session.tokens.refreshToken)).status, 200);
});

test("DELETE /api/v1/me/sessions labelled application/json with an empty body signs out as without one", async () => {
  const session = await http.api.register("liam");
  const out = await http.api.request("DELETE", "/api/v1/me/sessions", { token: session.tokens.accessToken, raw: "" });
  assert.equal(out.status, 204, out.text);
  assert.ok(isProblem(await http.api.refresh(session.tokens.refreshToken), 401));
  // A body that is there must still be JSON.
  const other = await http.api.register("mia");
  assert.ok(isProblem(await http.api.request("DELETE", "/api/v1/me/sessions", { token: other.tokens.accessToken, raw: "{" }), 400));
});
