/**
 * Nick ownership: a registered account owns the nick of its name; anyone else on
 * it must log in within auth.nickEnforcementSeconds or is renamed to Guest#####.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import type { RawClient } from "../support/raw-client.js";

// A 1-second deadline, checked by the sweeper every 0.5 s (a quarter of the registration timeout).
const CONFIG = { auth: { nickEnforcementSeconds: 1 }, irc: { registrationTimeoutSeconds: 2 } } as const;
const WARNING = /^:NickServ!NickServ@services\.cmymessage\.local NOTICE (\S+) :The nick \1 belongs to a registered account\. Log in within 1 seconds/;

/**
 * Returns once every nick deadline started before the call has run out: a guest takes
 * the registered nick `probe` (registered beforehand) and waits to be renamed. Earlier
 * deadlines end first and the sweeper handles every ended one on each pass, so after a
 * PING round trip on the other clients, a rename they have not seen will not come.
 */
async function deadlinesPassed(fx: AccountsFixture, probe: string): Promise<void> {
  const guest = await fx.raw(probe);
  await guest.waitFor(new RegExp(`^:${probe}!\\S+ NICK :?Guest\\d{5}$`), 4000);
}

/** Connects with SASL PLAIN as `account`, asserting the login worked. */
async function loggedIn(fx: AccountsFixture, account: string, password: string): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, account, account, password);
  assert.equal(result.command, "903", result.raw);
  return client;
}

/** The `numeric` replies a client got and has not consumed. */
function unconsumedNumerics(client: RawClient, numeric: string): string[] {
  return client.lines.filter((line) => line.split(" ")[1] === numeric);
}

/** Lines about someone else than the probe. */
const notProbe = (probe: string) => (line: string) => !line.startsWith(`:${probe}!`);

// Each test waits out real deadlines on its own server: run them side by side.
describe("nick ownership", { concurrency: true }, () => {
  test("a guest on a registered nick is warned by NickServ and renamed to Guest##### after the deadline; #general sees the NICK", async (t) => {
    const fx = await openFixture(t, CONFIG);
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    await registerAccount(fx, "bob", "bobs-password", { quit: true });
    await registerAccount(fx, "probe", "probes-password", { quit: true });
    const watcher = await fx.raw("watcher");

    // One guest connects with the nick; another changes to a registered nick later and logs in to the wrong account.
    const squatter = await fx.raw("alice");
    const changer = await fx.raw("changer");
    const started = Date.now();
    assert.match(await squatter.waitFor(/ NOTICE alice :/), WARNING);
    changer.send("NICK bob");
    assert.match(await changer.waitFor(/ NOTICE bob :The nick/), WARNING);
    changer.send("PRIVMSG NickServ :IDENTIFY alice alices-password");
    await changer.waitFor(/ 900 /);

    const renamed = await squatter.waitFor(/^:alice!\S+ NICK :?Guest\d{5}$/, 4000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900, `renamed after ${elapsed} ms, before the 1 s deadline`);
    const guestNick = /Guest\d{5}/.exec(renamed)![0];
    assert.match(await squatter.waitFor(/ NOTICE Guest\d{5} :You did not log in/), new RegExp(`:You did not log in to alice in time, so your nick is now ${guestNick}\\.$`));
    assert.match(await watcher.waitFor(/^:alice!\S+ NICK /), new RegExp(`NICK :?${guestNick}$`));
    // Logged in, but to alice while on bob's nick: that does not keep bob's nick.
    assert.match(await watcher.waitFor(/^:bob!\S+ NICK /, 4000), /NICK :?Guest\d{5}$/);

    // The freed nick can be taken by its owner.
    const owner = await connectWithPlain(fx, "alice", "alice", "alices-password");
    assert.equal(owner.result.command, "903");
    await deadlinesPassed(fx, "probe");
    await rawSync(owner.client);
    assert.equal(owner.client.lines.filter((l) => / NICK /.test(l) || /belongs to a registered account/.test(l)).filter(notProbe("probe")).length, 0, "the owner is never warned nor renamed");
  });

  test("logging in within the deadline (NickServ IDENTIFY or REGISTER) keeps the nick", async (t) => {
    const fx = await openFixture(t, CONFIG);
    await registerAccount(fx, "carol", "carols-password", { quit: true });
    await registerAccount(fx, "probe", "probes-password", { quit: true });
    const watcher = await fx.raw("watcher");
    const carol = await fx.raw("carol");
    assert.match(await carol.waitFor(/ NOTICE carol :/), WARNING);
    carol.send("PRIVMSG NickServ :IDENTIFY carols-password");
    await carol.waitFor(/ 900 /);

    // Someone on a nick that belongs to nobody yet registers it in time.
    const dave = await fx.raw("dave");
    dave.send("REGISTER * * :daves password");
    await dave.waitFor(/ REGISTER SUCCESS /);

    await deadlinesPassed(fx, "probe");
    for (const c of [watcher, carol, dave]) await rawSync(c);
    assert.equal(watcher.lines.filter((l) => / NICK /.test(l)).filter(notProbe("probe")).length, 0, watcher.lines.join("\n"));
    assert.equal(carol.lines.filter((l) => / NICK /.test(l) || /did not log in/.test(l)).filter(notProbe("probe")).length, 0);
    watcher.send("WHOIS carol");
    assert.equal(await watcher.waitFor(/ 330 /), ":cmymessage.local 330 watcher carol carol :is logged in as");
  });

  test("a guest who leaves the registered nick before the deadline is not renamed later", async (t) => {
    const fx = await openFixture(t, CONFIG);
    await registerAccount(fx, "erin", "erins-password", { quit: true });
    await registerAccount(fx, "probe", "probes-password", { quit: true });
    const guest = await fx.raw("erin");
    assert.match(await guest.waitFor(/ NOTICE erin :/), WARNING);
    guest.send("NICK justvisiting");
    await guest.waitFor(/ NICK :?justvisiting$/);
    await deadlinesPassed(fx, "probe");
    await rawSync(guest);
    assert.equal(guest.lines.filter((l) => / NICK /.test(l)).filter(notProbe("probe")).length, 0);
  });

  test("an always-on user whose connection took a registered nick and quit is still renamed, and the owner then gets the nick", async (t) => {
    const fx = await openFixture(t, CONFIG);
    await registerAccount(fx, "bob", "bobs-password", { quit: true });
    await registerAccount(fx, "carol", "carols-password", { quit: true });
    const watcher = await fx.raw("watcher");
    const carol = await loggedIn(fx, "carol", "carols-password");
    carol.send("PRIVMSG NickServ :SET ALWAYS-ON ON");
    await carol.waitFor(/NOTICE carol :ALWAYS-ON is now ON/);
    carol.send("NICK bob");
    assert.match(await carol.waitFor(/ NOTICE bob :The nick/), WARNING);
    // Gone before the deadline: the always-on user keeps "bob" with no connection at all.
    carol.send("QUIT :bye");
    await carol.closed;

    assert.match(await watcher.waitFor(/^:bob!\S+ NICK /, 4000), /NICK :?Guest\d{5}$/);
    watcher.send("WHOIS bob");
    await watcher.waitFor(/ 401 watcher bob :/);
    const owner = await connectWithPlain(fx, "bob", "bob", "bobs-password");
    assert.equal(owner.result.command, "903");
    assert.deepEqual(unconsumedNumerics(owner.client, "433"), [], "the owner's nick is free");
    owner.client.send("WHOIS bob");
    assert.equal(await owner.client.waitFor(/ 330 /), ":cmymessage.local 330 bob bob bob :is logged in as");
  });

  test("multiclient: when the connection that took a registered nick quits, the user's other connection is still renamed", async (t) => {
    const fx = await openFixture(t, CONFIG);
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    await registerAccount(fx, "dave", "daves-password", { quit: true });
    const first = await loggedIn(fx, "alice", "alices-password");
    const second = await loggedIn(fx, "alice", "alices-password");
    first.send("NICK dave");
    assert.match(await first.waitFor(/ NOTICE dave :The nick/), WARNING);
    await second.waitFor(/^:alice!\S+ NICK :?dave$/);
    first.send("QUIT :bye");
    await first.closed;

    const renamed = await second.waitFor(/^:dave!\S+ NICK :?Guest\d{5}$/, 4000);
    const guestNick = /Guest\d{5}/.exec(renamed)![0];
    assert.match(await second.waitFor(/ NOTICE Guest\d{5} :You did not log in/), new RegExp(`:You did not log in to dave in time, so your nick is now ${guestNick}\\.$`));
  });

  test("changing only the case of a registered nick does not restart its deadline", async (t) => {
    const fx = await openFixture(t, CONFIG);
    await registerAccount(fx, "frank", "franks-password", { quit: true });
    const guest = await fx.raw("frank");
    assert.match(await guest.waitFor(/ NOTICE frank :/), WARNING);
    const started = Date.now();
    // Well inside the deadline, over and over: the first deadline must still hold.
    for (const nick of ["Frank", "FRANK", "frank", "fRank"]) {
      await new Promise((done) => setTimeout(done, 300));
      guest.send(`NICK ${nick}`);
    }
    await guest.waitFor(/ NICK :?Guest\d{5}$/, 4000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `renamed after ${elapsed} ms: the case changes restarted the 1 s deadline`);
  });
});
