/**
 * The HTTP door refuses names that could be no account's before any work, but an
 * account made under a longer irc.nickLength than today's is still an account: it
 * logs in over HTTP as it does over IRC and FTP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bootServer, cliUserAdd, createHome } from "../support/account-server.js";
import { ApiClient, isProblem } from "../support/http-client.js";

const PASSWORD = "a long enough passphrase";

test("an account whose name is longer than today's irc.nickLength logs in over HTTP (login and Basic upload credentials)", async (t) => {
  const home = await createHome(t);
  const name = "abcdefghijklmnopqrst";
  await cliUserAdd(home, name, PASSWORD);
  const server = await bootServer(home, { irc: { nickLength: 12 }, http: { listen: ["127.0.0.1:0"] } });
  t.after(() => server.stop());
  const api = ApiClient.forPort(server.http[0]!.port);
  // Before: 401 invalid-credentials, while SASL and FTP logged the same account in.
  const login = await api.login(name, PASSWORD);
  assert.equal(login.status, 200, login.text);
  // A name no configuration allows is still refused before any work, with the same answer as a wrong password.
  assert.ok(isProblem(await api.login("bad\u0000name", PASSWORD), 401));
});
