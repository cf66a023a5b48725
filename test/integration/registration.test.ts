import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

test("a client registers and gets the welcome burst, then joins #general", async () => {
  const client = await RawClient.connect(server.port);
  client.send("NICK alice");
  client.send("USER alice 0 * :Alice Liddell");
  const welcome = await client.waitFor(/ 001 /);
  assert.match(welcome, /^:cmymessage\.local 001 alice :Welcome to the CmyMessage IRC Network alice!~alice@127\.0\.0\.1$/);
  const isupport = await client.waitFor(/ 005 .*CASEMAPPING/);
  assert.match(isupport, /CHANTYPES=# /);
  await client.waitFor(/ 376 /);
  assert.match(await client.waitFor(/ JOIN /), /^:alice!~alice@127\.0\.0\.1 JOIN #general$/);
  // A default channel is the server's: its first joiner gets no operator status.
  assert.match(await client.waitFor(/ 353 /), / = #general :alice$/);
  client.close();
});

test("commands before registration get 451; a taken nick gets 433", async () => {
  const first = await RawClient.register(server.port, "bob");
  const second = await RawClient.connect(server.port);
  second.send("JOIN #x");
  assert.match(await second.waitFor(/ 451 /), /^:cmymessage\.local 451 \* :You have not registered$/);
  second.send("NICK Bob");
  assert.match(await second.waitFor(/ 433 /), / 433 \* Bob :Nickname is already in use$/);
  second.send("NICK 1bad");
  assert.match(await second.waitFor(/ 432 /), / 432 \* 1bad :Erroneous nickname$/);
  first.close();
  second.close();
});
