/**
 * Masks are the client's input, matched against every user (WHO), channel (LIST) or
 * joiner (bans): their cost must stay proportional to their length. A regular expression
 * with a `.*` per star backtracked exponentially: one WHO line froze the server. The
 * server runs in a child process, so that a regression fails this test by its timeouts
 * instead of freezing the test's own event loop.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawClient } from "../support/raw-client.js";
import { removeAfterServers, serveProcess } from "../support/serve-process.js";

test("WHO, LIST and a JOIN past a ban with masks of many stars that do not fit a long name all answer, and the server goes on", { timeout: 60_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "cmy-test-"));
  removeAfterServers(t, dataDir);
  const { port } = await serveProcess(t, dataDir);
  const eve = await RawClient.connect(port);
  t.after(() => eve.close());
  eve.send("NICK eve");
  eve.send(`USER eve 0 * :${"a".repeat(120)}`);
  await eve.waitFor(/ (376|422) /, 10_000);
  const bob = await RawClient.register(port, "bob");
  t.after(() => bob.close());
  const stars = `${"*a".repeat(30)}*b`;
  const channel = `#${"a".repeat(60)}`;

  eve.send(`WHO ${stars}`);
  await eve.waitFor(/ 315 eve /, 10_000);
  eve.send(`JOIN ${channel}`);
  await eve.waitFor(/ 366 eve /, 10_000);
  eve.send(`LIST #${stars}`);
  await eve.waitFor(/ 323 eve /, 10_000);
  eve.send(`MODE ${channel} +b ${stars}!*@*`);
  await eve.waitFor(/ MODE #a+ \+b /, 10_000);
  bob.send(`JOIN ${channel}`);
  await bob.waitFor(/ 366 bob /, 10_000);
  bob.send("PING :still-here");
  assert.match(await bob.waitFor(/PONG .*still-here/, 10_000), /still-here/);
});
