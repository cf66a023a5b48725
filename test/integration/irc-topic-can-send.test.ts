/**
 * TOPIC on a channel without +t: a member who may not speak there (banned, or without voice
 * under +m) may not set the topic either, as Charybdis and Solanum decide it (m_topic.c asks
 * can_send() and answers 482 ERR_CHANOPRIVSNEEDED when it refuses).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rawSync, setup, unconsumed } from "../support/fixture.js";

test("a banned member, or one without voice under +m, gets 482 for TOPIC on a -t channel and nobody sees a topic change", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice");
  const gban = await fx.raw("gban");
  alice.send("JOIN #tb");
  await alice.waitFor(/ 366 alice #tb /);
  gban.send("JOIN #tb");
  await gban.waitFor(/ 366 gban #tb /);
  alice.send("MODE #tb -t+b gban!*@*");
  await gban.waitFor(/ MODE #tb -t\+b gban!\*@\*$/);

  // Before: the PRIVMSG was refused (404) but the TOPIC was set and broadcast.
  gban.send("PRIVMSG #tb :hello");
  await gban.waitFor(/ 404 gban #tb /);
  gban.send("TOPIC #tb :vandal");
  assert.match(await gban.waitFor(/ 482 /), / 482 gban #tb :You're not channel operator$/);

  alice.send("MODE #tb -b+m gban!*@*");
  await gban.waitFor(/ MODE #tb -b\+m gban!\*@\*$/);
  gban.send("TOPIC #tb :moderated vandal");
  await gban.waitFor(/ 482 gban #tb /);

  await rawSync(alice);
  assert.deepEqual(unconsumed(alice, / TOPIC #tb /), [], "no topic change reached the channel");
  alice.send("TOPIC #tb");
  await alice.waitFor(/ 331 alice #tb /);

  // With voice it may speak, so it may set the topic again.
  alice.send("MODE #tb +v gban");
  await gban.waitFor(/ MODE #tb \+v gban$/);
  gban.send("TOPIC #tb :voiced");
  await alice.waitFor(/^:gban!\S+ TOPIC #tb :voiced$/);
});
