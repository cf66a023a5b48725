/**
 * What an always-on user gets back after a server restart besides its nick and channels:
 * its status in each channel (op, voice: not op because its join re-created the channel),
 * its own away message and its user modes — on SQLite and on PostgreSQL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, openHomeStore, type AccountsFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";

const PASSWORD = "correct horse battery";

async function login(fx: AccountsFixture, name: string): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, name, name, PASSWORD);
  assert.match(result.raw, / 903 /);
  return client;
}

/** A registered account, logged in, with always-on set. */
async function alwaysOnUser(fx: AccountsFixture, name: string): Promise<RawClient> {
  const client = await registerAccount(fx, name, PASSWORD);
  client.send("PRIVMSG NickServ :SET ALWAYS-ON ON");
  await client.waitFor(new RegExp(`NOTICE ${name} :ALWAYS-ON is now ON`));
  return client;
}

async function join(client: RawClient, nick: string, channel: string, key = ""): Promise<void> {
  client.send(`JOIN ${channel}${key ? ` ${key}` : ""}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
}

async function disconnect(...clients: RawClient[]): Promise<void> {
  for (const client of clients) {
    client.send("QUIT");
    await client.closed;
  }
}

/** The channel's members as NAMES gives them to `client` (prefix and nick), sorted. */
async function names(client: RawClient, nick: string, channel: string): Promise<string[]> {
  client.send(`NAMES ${channel}`);
  const line = await client.waitFor(new RegExp(` 353 ${nick} \\S ${channel} :`));
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `));
  return line.slice(line.lastIndexOf(":") + 1).split(" ").filter(Boolean).sort();
}

forEachDatabase("always-on users after a restart", (kind) => {
  test("each comes back with its own status in each channel: the op stays op, the voiced stays voiced, nobody becomes op by coming back first", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const frank = await alwaysOnUser(fx, "frank");
    const erin = await alwaysOnUser(fx, "erin");
    await join(frank, "frank", "#esc2");
    await join(erin, "erin", "#esc2");
    frank.send("MODE #esc2 +m");
    await erin.waitFor(/ MODE #esc2 \+m$/);
    await join(erin, "erin", "#esc3");
    await join(frank, "frank", "#esc3");
    erin.send("MODE #esc3 +v frank");
    await frank.waitFor(/ MODE #esc3 \+v frank$/);
    assert.deepEqual(await names(erin, "erin", "#esc2"), ["@frank", "erin"]);
    await disconnect(frank, erin);
    await fx.restart();

    // Before: restored in account order, erin re-created both channels and was op of both; frank lost +v.
    const bob = await fx.raw("bob");
    assert.deepEqual(await names(bob, "bob", "#esc2"), ["@frank", "erin"]);
    assert.deepEqual(await names(bob, "bob", "#esc3"), ["+frank", "@erin"]);
    const back = await login(fx, "erin");
    await back.waitFor(/ 366 erin #esc3 /);
    back.send("MODE #esc2 -m+o erin");
    await back.waitFor(/ 482 erin #esc2 /);
    await rawSync(back);
    assert.deepEqual(await names(bob, "bob", "#esc2"), ["@frank", "erin"]);
  });

  test("a rank given or taken while the always-on user has no connection is the one it comes back with", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const alice = await alwaysOnUser(fx, "alice");
    const dave = await alwaysOnUser(fx, "dave");
    await join(alice, "alice", "#ranks");
    await join(dave, "dave", "#ranks");
    // Both leave their connections: only the MODE below can change what is kept of them.
    await disconnect(alice, dave);
    // alice hands her op on herself first.
    const back = await login(fx, "alice");
    await back.waitFor(/ 366 alice #ranks /);
    back.send("MODE #ranks +o dave");
    await back.waitFor(/ MODE #ranks \+o dave$/);
    await disconnect(back);
    // dave takes alice's op and voices her while she stays detached: no join, part or nick of hers follows.
    const daveBack = await login(fx, "dave");
    await daveBack.waitFor(/ 366 dave #ranks /);
    daveBack.send("MODE #ranks -o+v alice alice");
    await daveBack.waitFor(/ MODE #ranks -o\+v alice alice$/);
    await rawSync(daveBack);
    daveBack.socket.destroy();
    await daveBack.closed;
    const bob = await fx.raw("bob");
    assert.deepEqual(await names(bob, "bob", "#ranks"), ["+alice", "@dave"]);
    await fx.restart();

    // Before: alice's record still said op (saved at her last disconnect), so she came back @alice.
    const watcher = await fx.raw("watcher");
    assert.deepEqual(await names(watcher, "watcher", "#ranks"), ["+alice", "@dave"]);
  });

  test("its own away message and its user modes (+i, +w, +B) come back; the server's away is only for one that had none", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const erin = await alwaysOnUser(fx, "erin");
    erin.send("AWAY :my own away");
    await erin.waitFor(/ 306 erin /);
    erin.send("MODE erin +iwB");
    await erin.waitFor(/^:erin!\S+ MODE erin :?\+iwB$/);
    const frank = await alwaysOnUser(fx, "frank");
    await disconnect(erin, frank);
    await fx.restart();

    const bob = await fx.raw("bob");
    bob.send("WHOIS erin");
    // Before: "Not connected (always-on)", and on reconnect 305 and no modes.
    assert.match(await bob.waitFor(/ 301 bob erin :/), / 301 bob erin :my own away$/);
    await bob.waitFor(/ 318 bob erin /);
    bob.send("WHOIS frank");
    assert.match(await bob.waitFor(/ 301 bob frank :/), / 301 bob frank :Not connected \(always-on\)$/);

    const back = await login(fx, "erin");
    back.send("MODE erin");
    assert.match(await back.waitFor(/ 221 erin /), / 221 erin :?\+Biw$/);
    back.send("AWAY");
    await back.waitFor(/ 305 erin /);
    const frankBack = await login(fx, "frank");
    frankBack.send("WHOIS frank");
    await frankBack.waitFor(/ 318 frank frank /);
    assert.equal(frankBack.lines.filter((line) => / 301 frank frank /.test(line)).length, 0, "the server's away ended with the connection");
  });

  test("every always-on member of a registered +k channel comes back into it, not only the first one restored", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const alice = await alwaysOnUser(fx, "alice");
    const erin = await alwaysOnUser(fx, "erin");
    const founder = await registerAccount(fx, "frank", PASSWORD);
    await join(founder, "frank", "#vault");
    founder.send("PRIVMSG ChanServ :REGISTER #vault");
    await founder.waitFor((line) => line.includes("#vault is registered to"));
    founder.send("MODE #vault +k sekrit");
    await founder.waitFor(/ MODE #vault \+k /);
    await join(alice, "alice", "#vault", "sekrit");
    await join(erin, "erin", "#vault", "sekrit");
    founder.send("MODE #vault +v erin");
    await founder.waitFor(/ MODE #vault \+v erin$/);
    await disconnect(alice, erin, founder);
    await fx.restart();

    // Before: alice's join re-created #vault (+k from its registration), and erin's was refused for the key.
    const bob = await fx.raw("bob");
    bob.send("JOIN #vault sekrit");
    await bob.waitFor(/ 366 bob #vault /);
    assert.deepEqual(await names(bob, "bob", "#vault"), ["+erin", "alice", "bob"]);
  });

  test("a record stored before channel status was kept (channel names only) comes back into its channels with no status", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const erin = await alwaysOnUser(fx, "erin");
    await join(erin, "erin", "#old");
    await disconnect(erin);
    const store = await openHomeStore(fx.home);
    // Once stopped (its writes drained), the server writes the record no more until the next start.
    await fx.server.stop();
    await store.db.updateTable("always_on_users").set({ channels: JSON.stringify(["#old", "#general"]) }).execute();
    await fx.restart();

    const bob = await fx.raw("bob");
    assert.deepEqual(await names(bob, "bob", "#old"), ["erin"]);
    bob.send("WHOIS erin");
    assert.match(await bob.waitFor(/ 319 bob erin :/), /#old\b/);
  });
});
