/**
 * Default channels (irc.defaultChannels) belong to the server: whoever joins one
 * first, empty or just re-created, gets no operator status. Other channels still
 * give it to their first joiner.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { RawClient } from "../support/raw-client.js";
import { FrameworkClient } from "../support/framework-client.js";
import { rawSync } from "../support/fixture.js";
import { hashPassword } from "../../src/auth/passwords.js";

let server: TestServer;
const clients: Array<RawClient | FrameworkClient> = [];
before(async () => {
  const operators = [{ name: "admin", passwordHash: await hashPassword("operator password") }];
  server = await startTestServer({ irc: { defaultChannels: ["#general", "#Lobby"], operators } });
});
after(async () => {
  for (const c of clients) {
    if (c instanceof RawClient) {
      c.close();
      await c.closed;
    } else await c.close();
  }
  await server.stop();
});

async function register(nick: string): Promise<RawClient> {
  const client = await RawClient.register(server.port, nick);
  clients.push(client);
  return client;
}

test("the first to join an empty default channel is no operator; MODE +o on itself is refused", async () => {
  const first = await register("early");
  await first.waitFor(/ 366 early #lobby /i);
  first.send("NAMES #general");
  assert.match(await first.waitFor(/ 353 early \S #general /), / :early$/, "no @ before the nick");
  first.send("MODE #general +o early");
  assert.match(await first.waitFor(/ 482 /), / 482 early #general :/);
  first.send("TOPIC #Lobby :mine now");
  assert.match(await first.waitFor(/ 482 /), / 482 early #Lobby :/i);

  // A channel that is no default one still belongs to its first joiner.
  first.send("JOIN #own");
  assert.match(await first.waitFor(/ 353 early \S #own /), / :@early$/);

  // Emptied and re-created: still nobody's, for a real client library too.
  first.send("PART #general");
  await first.waitFor(/ PART #general/);
  const lib = await FrameworkClient.connect(server.port, "libuser", { readyChannel: null });
  clients.push(lib);
  const names = await lib.waitFor("userlist", (e) => e.channel.toLowerCase() === "#general");
  assert.deepEqual(
    names.users.map((u) => [u.nick, u.modes]),
    [["libuser", []]],
  );
  await rawSync(first);

  // Operators of a default channel are the server's to name: a server operator (config) gives it.
  const admin = await register("admin");
  admin.send("OPER admin :operator password");
  await admin.waitFor(/ 381 /);
  admin.send("MODE #general +o libuser");
  assert.match(await lib.waitRaw(/ MODE #general /), /^(?:@\S+ )?:admin!\S+ MODE #general \+o libuser$/);
});
