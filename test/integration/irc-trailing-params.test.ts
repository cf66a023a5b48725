/**
 * The last parameter of NICK and TOPIC is written as a trailing parameter (`:newnick`),
 * as most servers write it: ii 1.8 reads a nick change only in that form.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";

test("NICK and TOPIC reach a plain client (the one who did it, and another) with a colon before the last parameter", async (t) => {
  const server = await startTestServer();
  const renamer = await RawClient.register(server.port, "oldnick");
  const peer = await RawClient.register(server.port, "peer");
  t.after(async () => {
    renamer.close();
    peer.close();
    await server.stop();
  });
  for (const [client, nick] of [
    [renamer, "oldnick"],
    [peer, "peer"],
  ] as const) {
    client.send("JOIN #ii");
    await client.waitFor(new RegExp(` 366 ${nick} #ii `));
  }
  renamer.send("NICK newnick");
  assert.equal(await renamer.waitFor(/ NICK /), ":oldnick!~oldnick@127.0.0.1 NICK :newnick");
  assert.equal(await peer.waitFor(/ NICK /), ":oldnick!~oldnick@127.0.0.1 NICK :newnick");
  renamer.send("TOPIC #ii oneword");
  assert.equal(await renamer.waitFor(/ TOPIC /), ":newnick!~oldnick@127.0.0.1 TOPIC #ii :oneword");
  assert.equal(await peer.waitFor(/ TOPIC /), ":newnick!~oldnick@127.0.0.1 TOPIC #ii :oneword");
});
