/**
 * Nick ownership: a registered account owns the nick of its name; anyone else on
 * it must log in within auth.nickEnforcementSeconds or is renamed to Guest#####.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openFixture, type AccountsFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

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
});
