/**
 * Direct messages to a registered nick go to its account, whoever holds the nick:
 * a guest squatting it during the nick-enforcement grace never gets them; the owner
 * gets them on its other connection, or replayed at its next login.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

// A grace long enough that the squatter keeps the nick for the whole test.
const CONFIG = { auth: { nickEnforcementSeconds: 120 } } as const;

const privmsgsTo = (lines: readonly string[], text: string) => lines.filter((l) => l.includes(`PRIVMSG`) && l.endsWith(`:${text}`));

forEachDatabase("DMs to a registered nick held by someone else", (kind) => {
  test("owner offline: the squatter on its nick gets nothing; the owner gets it replayed at its next login", async (t) => {
    const fx = await openFixture(t, CONFIG, { kind });
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    const bob = await registerAccount(fx, "bob", "bobs-password");
    const squatter = await fx.raw("alice");
    await squatter.waitFor(/ NOTICE alice :The nick alice belongs to a registered account/);
    const gus = await fx.raw("gus");

    bob.send("PRIVMSG alice :secret from bob");
    gus.send("NOTICE alice :secret from a guest");
    for (const c of [bob, gus, squatter]) await rawSync(c);
    assert.deepEqual(privmsgsTo(squatter.lines, "secret from bob"), [], "the squatter never gets a DM meant for the account");
    assert.deepEqual(
      squatter.lines.filter((l) => l.includes("secret from a guest")),
      [],
    );
    assert.equal(bob.lines.filter((l) => / 401 /.test(l)).length, 0, "kept for the account, so no ERR_NOSUCHNICK");

    // The owner logs in (on another nick, as the squatter still holds hers) and reads them.
    const { client: alice } = await connectWithPlain(fx, "alice_", "alice", "alices-password");
    assert.match(await alice.waitFor(/PRIVMSG \S+ :secret from bob$/), /^(?:@\S+ )?:bob!/);
    assert.match(await alice.waitFor(/NOTICE \S+ :secret from a guest$/), /^(?:@\S+ )?:gus!/);
  });

  test("owner online under another nick: it gets the DM live, the squatter does not; the sender is not told 401", async (t) => {
    const fx = await openFixture(t, CONFIG, { kind });
    await registerAccount(fx, "carol", "carols-password", { quit: true });
    const { client: carol } = await connectWithPlain(fx, "carol_away", "carol", "carols-password");
    const squatter = await fx.raw("carol");
    await squatter.waitFor(/ NOTICE carol :The nick carol belongs to a registered account/);
    const dave = await fx.raw("dave");

    dave.send("PRIVMSG carol :for carol only");
    assert.match(await carol.waitFor(/ PRIVMSG \S+ :for carol only$/), /^:dave!\S+ PRIVMSG carol_away :for carol only$/);
    for (const c of [dave, squatter]) await rawSync(c);
    assert.deepEqual(privmsgsTo(squatter.lines, "for carol only"), []);
    assert.equal(dave.lines.filter((l) => / 401 /.test(l)).length, 0);

    // A user logged in to another account on carol's nick is no owner either.
    squatter.send("QUIT");
    await squatter.closed;
    await registerAccount(fx, "erin", "erins-password", { quit: true });
    const { client: erin } = await connectWithPlain(fx, "carol", "erin", "erins-password");
    dave.send("PRIVMSG carol :still for carol");
    assert.match(await carol.waitFor(/ PRIVMSG \S+ :still for carol$/), /^:dave!/);
    await rawSync(erin);
    assert.deepEqual(privmsgsTo(erin.lines, "still for carol"), []);

    // A nick nobody registered is its holder's, as always.
    const frank = await fx.raw("frank");
    dave.send("PRIVMSG frank :hello frank");
    assert.match(await frank.waitFor(/ PRIVMSG frank :hello frank$/), /^:dave!/);
  });
});
