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

test("a PRIVMSG kept for an offline account is answered with 301 RPL_AWAY (a NOTICE with nothing); irc-framework shows it as away", async (t) => {
  const fx = await openFixture(t, CONFIG);
  await registerAccount(fx, "gina", "ginas-password", { quit: true });
  const hal = await fx.raw("hal");
  const ivy = await fx.raw("ivy");

  hal.send("PRIVMSG Gina :are you there?");
  assert.match(await hal.waitFor(/ 301 /), /^:cmymessage\.local 301 hal Gina :Not connected; your message is kept and will be shown when they next log in$/);
  hal.send("NOTICE gina :just so you know");
  hal.send("PRIVMSG ivy :online, so no 301");
  await ivy.waitFor(/ PRIVMSG ivy :online, so no 301$/);
  await rawSync(hal);
  assert.deepEqual(hal.lines.filter((l) => / 301 /.test(l)), [], "no reply to a NOTICE, none for someone online");

  // A real client library reads it as the recipient being away, as it shows it in the query.
  const lib = await fx.framework("jude");
  lib.client.say("gina", "from a library");
  const away = await lib.waitFor("away", (e) => e.nick === "gina");
  assert.match(away.message, /kept/);
  const { client: gina } = await connectWithPlain(fx, "gina", "gina", "ginas-password");
  for (const text of ["are you there?", "just so you know", "from a library"]) await gina.waitFor((l) => l.endsWith(`:${text}`));
});

test("a burst of direct messages to a guest arrives whole and in order (the nick-account answer, once remembered, never lets a later message pass an earlier one)", async (t) => {
  const fx = await openFixture(t, { ...CONFIG, irc: { flood: { enabled: false } } }, { kind: "sqlite" });
  const sender = await fx.raw("sender1");
  const guest = await fx.raw("guest1");
  // Sent in one write: several are in flight at once, the first ones still waiting for
  // the account lookup when the later ones could use its remembered answer.
  const count = 200;
  sender.send(Array.from({ length: count }, (_, i) => `PRIVMSG guest1 :burst ${i}`).join("\r\n"));
  const last = await guest.waitFor(new RegExp(`:burst ${count - 1}$`));
  const lines = guest.lines.includes(last) ? guest.lines : [...guest.lines, last];
  const got = lines.filter((l) => / PRIVMSG guest1 :burst \d+$/.test(l)).map((l) => Number(/burst (\d+)$/.exec(l)![1]));
  assert.deepEqual(got, Array.from({ length: count }, (_, i) => i));
});
