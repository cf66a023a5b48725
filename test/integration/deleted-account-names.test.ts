/**
 * A deleted account's name is never registered again: its files, direct messages,
 * shares and channels are kept under that name, and a newcomer taking the name would
 * read them. Observed through the doors a user has: NickServ DROP, then registration
 * over HTTP and NickServ, with the old account's file and direct messages in place.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, eventually, ircLogin, isProblem } from "../support/http-client.js";
import { retryWhile } from "../support/wait.js";

test("after NickServ DROP the name cannot be registered again over HTTP or NickServ, so nobody inherits the old account's file or messages", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } });
  t.after(() => server.stop());
  const api = ApiClient.forPort(server.httpPort);
  const alice = await api.register("alice");
  await api.register("bob");
  const put = await api.request("PUT", "/api/v1/files/content?path=%2Fnotes.txt", { token: alice.tokens.accessToken, raw: "alice's private notes", headers: { "content-type": "application/octet-stream" } });
  assert.equal(put.status, 201, put.text);
  const aliceIrc = await ircLogin(server.port, "alice");
  const bobIrc = await ircLogin(server.port, "bob");
  t.after(() => {
    aliceIrc.close();
    bobIrc.close();
  });
  aliceIrc.send("PRIVMSG bob :payroll is in the notes");
  await bobIrc.waitFor(/PRIVMSG bob :payroll is in the notes/);
  await eventually(async () => assert.equal((await api.dmMessages("bob", alice.tokens.accessToken)).body.messages.length, 1));

  aliceIrc.send(`PRIVMSG NickServ :DROP ${PASSWORD}`);
  assert.match(await aliceIrc.waitFor(/NOTICE alice :The account alice has been dropped/), /the name cannot be registered again/);

  const again = await api.post("/api/v1/accounts", { name: "ALICE", password: "another good password" });
  assert.ok(isProblem(again, 409), again.text);
  assert.equal((again.body as { type: string }).type.endsWith("name-retired"), true, again.text);
  assert.equal((await api.login("alice")).status, 401, "the old password logs in to nothing");

  // The connection still holding the nick, now logged out, asks NickServ for it.
  const registered = await retryWhile(
    async () => {
      aliceIrc.send("PRIVMSG NickServ :REGISTER another-good-password");
      return aliceIrc.waitFor(/NOTICE alice :(Registration failed|Too many attempts|Your nick)/);
    },
    (line) => /Too many attempts/.test(line),
  );
  assert.match(registered, /Registration failed: That nick belonged to an account that was dropped; it cannot be registered again\./);

  // Another name is still free.
  const carol = await api.register("carol");
  assert.equal((await api.dmMessages("bob", carol.tokens.accessToken)).body.messages.length, 0);
});
