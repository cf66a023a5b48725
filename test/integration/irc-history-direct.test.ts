/**
 * Direct messages in history: account holders read their conversations back with
 * CHATHISTORY <nick>; guests cannot; a registered user who was offline is told how
 * many arrived and gets them replayed (or fetches them with CHATHISTORY).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, openHomeStore } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { chathistory, exchange, HISTORY_CAPS, parseLine, say, SERVER_TIME, texts, textOf, type Line } from "../support/irc-lines.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

const AWAY_NOTICE = /^:NickServ!NickServ@services\.cmymessage\.local NOTICE (\S+) :(\d+) direct messages? arrived while you were away\.$/;

forEachDatabase("direct messages in history", (kind) => {
  test("two account holders exchange DMs and both read them with CHATHISTORY <othernick>; others cannot", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const alice = await registerAccount(fx, "alice", "alices-password", { caps: HISTORY_CAPS });
    const bob = await registerAccount(fx, "bob", "bobs-password", { caps: HISTORY_CAPS });
    const carol = await registerAccount(fx, "carol", "carols-password", { caps: HISTORY_CAPS });
    const guest = await fx.raw("guest", { caps: [...HISTORY_CAPS] });

    const sent = [await say(alice, "bob", "hi bob"), await say(bob, "alice", "hi alice"), await say(alice, "bob", "bye bob")];
    await bob.waitFor((l) => l.endsWith("PRIVMSG bob :bye bob"));

    for (const [reader, other] of [
      [alice, "bob"],
      [bob, "alice"],
    ] as const) {
      const reply = await chathistory(reader, `LATEST ${other} * 10`);
      assert.ok(reply.ok);
      assert.deepEqual(reply.batchParams, [other]);
      assert.deepEqual(texts(reply), ["hi bob", "hi alice", "bye bob"]);
      assert.deepEqual(
        reply.messages.map((l) => l.tags.get("msgid")),
        sent.map((s) => s.msgid),
      );
      assert.deepEqual(
        reply.messages.map((l) => [l.source.split("!")[0], l.params[0]]),
        [
          ["alice", "bob"],
          ["bob", "alice"],
          ["alice", "bob"],
        ],
      );
      for (const line of reply.messages) assert.match(line.tags.get("time") ?? "", SERVER_TIME);
    }
    // BEFORE/AFTER work on conversations too.
    assert.deepEqual(texts(await chathistory(bob, `AFTER alice msgid=${sent[0]!.msgid} 10`)), ["hi alice", "bye bob"]);
    assert.deepEqual(texts(await chathistory(bob, `BEFORE alice msgid=${sent[2]!.msgid} 1`)), ["hi alice"]);

    // Another account holder sees only its own conversations.
    assert.deepEqual(texts(await chathistory(carol, "LATEST alice * 10")), []);
    assert.deepEqual(texts(await chathistory(carol, "LATEST bob * 10")), []);
    // A guest cannot read direct history at all.
    const refused = await chathistory(guest, "LATEST alice * 10");
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.deepEqual(refused.fail.params.slice(0, 4), ["CHATHISTORY", "INVALID_TARGET", "LATEST", "alice"]);

    // TARGETS names the other party.
    const targets = await chathistory(alice, "TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 50");
    assert.ok(targets.ok);
    assert.ok(targets.messages.some((l) => l.params[1] === "bob"), targets.messages.map((l) => l.raw).join("\n"));

    // The conversation follows the account, not the nick: bob renames, then leaves.
    bob.send("NICK robert");
    await bob.waitFor(/ NICK :?robert$/);
    assert.deepEqual(texts(await chathistory(alice, "LATEST robert * 10")), ["hi bob", "hi alice", "bye bob"]);
    bob.send("QUIT");
    await bob.closed;
    assert.deepEqual(texts(await chathistory(alice, "LATEST bob * 10")), ["hi bob", "hi alice", "bye bob"]);
  });

  test("a guest's DMs with an account holder are kept for the account holder only; two guests' DMs are not stored", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const alice = await registerAccount(fx, "alice", "alices-password", { caps: HISTORY_CAPS });
    const dave = await fx.raw("dave", { caps: [...HISTORY_CAPS] });
    const erin = await fx.raw("erin", { caps: [...HISTORY_CAPS] });
    await say(dave, "alice", "from a guest");
    await say(alice, "dave", "to a guest");
    await say(dave, "erin", "guest to guest");
    await erin.waitFor((l) => l.endsWith(":guest to guest"));
    assert.deepEqual(texts(await chathistory(alice, "LATEST dave * 10")), ["from a guest", "to a guest"]);
    const refused = await chathistory(dave, "LATEST alice * 10");
    assert.equal(refused.ok, false);
    const store = await openHomeStore(fx.home);
    const rows = await store.db.selectFrom("messages").select(["text"]).where("target", "not like", "#%").execute();
    assert.deepEqual(rows.map((r) => r.text).sort(), ["from a guest", "to a guest"]);
  });

  test("offline DMs without draft/chathistory: accepted (no 401), a NickServ notice with the count at login, then replayed with their original times", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    const bob = await registerAccount(fx, "bob", "bobs-password", { caps: HISTORY_CAPS });
    const gus = await fx.raw("gus", { caps: [...HISTORY_CAPS] });

    const sent = [await say(bob, "alice", "while you were out"), await say(gus, "alice", "a guest wrote too"), await say(bob, "Alice", "and again")];
    for (const c of [bob, gus]) await rawSync(c);
    for (const c of [bob, gus]) assert.equal(c.lines.filter((l) => / 401 /.test(l)).length, 0, "no ERR_NOSUCHNICK for a registered account");
    // A nick that is neither online nor registered still gets 401.
    bob.send("PRIVMSG nobody-at-all :hello?");
    assert.match(await bob.waitFor(/ 401 /), / 401 bob nobody-at-all :/);

    // alice logs in with SASL, without draft/chathistory: she gets the count and the messages.
    const { client: alice } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: ["batch", "server-time", "message-tags"] });
    const notice = await alice.waitFor(AWAY_NOTICE);
    assert.equal(AWAY_NOTICE.exec(notice)![2], "3");
    const replayed: Line[] = [];
    for (let i = 0; i < 3; i++) replayed.push(parseLine(await alice.waitFor(/ PRIVMSG alice :| PRIVMSG Alice :/)));
    assert.deepEqual(replayed.map(textOf), sent.map((s) => s.text));
    assert.deepEqual(
      replayed.map((l) => l.tags.get("time")),
      sent.map((s) => s.time),
      "replayed with the time they were sent",
    );
    assert.deepEqual(
      replayed.map((l) => l.source.split("!")[0]),
      ["bob", "gus", "bob"],
    );
    const batchRef = replayed[0]!.tags.get("batch");
    assert.ok(batchRef, "inside a batch");
    assert.ok(replayed.every((l) => l.tags.get("batch") === batchRef));
    assert.ok(alice.lines.some((l) => new RegExp(`BATCH \\+${batchRef} chathistory`).test(l)));

    // Seen: the next login brings no notice.
    alice.send("QUIT");
    await alice.closed;
    const { client: again } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: ["batch", "server-time"] });
    await rawSync(again);
    assert.equal(again.lines.filter((l) => AWAY_NOTICE.test(l) || / PRIVMSG alice /.test(l)).length, 0);
  });

  test("offline DMs to a client that negotiated no capability (ii, python3-irc): replayed without any tags; one message is 'message', not 'message(s)'", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    const bob = await registerAccount(fx, "bob", "bobs-password", { caps: HISTORY_CAPS });
    await say(bob, "alice", "one for later");
    // No CAP at all: NICK, USER, then NickServ IDENTIFY, as ii or sic would.
    const alice = await fx.raw("alice", { caps: [] });
    alice.send("PRIVMSG NickServ :IDENTIFY alice alices-password");
    const notice = await alice.waitFor(AWAY_NOTICE);
    assert.equal(notice, ":NickServ!NickServ@services.cmymessage.local NOTICE alice :1 direct message arrived while you were away.");
    const replayed = await alice.waitFor(/ PRIVMSG alice :one for later$/);
    assert.equal(replayed, ":bob!~bob@127.0.0.1 PRIVMSG alice :one for later", "no tag section for a client that asked for none");
    await rawSync(alice);
    assert.deepEqual(alice.lines.filter((l) => l.startsWith("@")), [], "no line with tags");
  });

  test("a DM to an account whose holder is online under another nick is not lost: delivered, or announced at the next login", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    const bob = await registerAccount(fx, "bob", "bobs-password", { caps: HISTORY_CAPS });
    const { client: away } = await connectWithPlain(fx, "alice_phone", "alice", "alices-password", { caps: ["batch", "server-time"] });
    // Accepted for the account (no 401)...
    // The echo names the nick it reached (alice_phone) or the account written (alice).
    bob.send("PRIVMSG alice :are you there?");
    await bob.waitFor(/ PRIVMSG alice(_phone)? :are you there\?$/);
    await rawSync(away);
    const deliveredLive = away.lines.some((l) => l.endsWith(":are you there?"));
    away.send("QUIT");
    await away.closed;
    // ...so if it was not shown live, the next login must at least announce it.
    const { client: next } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: ["batch", "server-time"] });
    await rawSync(next);
    const announced = next.lines.some((l) => AWAY_NOTICE.test(l)) && next.lines.some((l) => l.endsWith(":are you there?"));
    assert.ok(deliveredLive || announced, "the message to 'alice' was accepted but alice (online as alice_phone) never saw it, live or at her next login");
  });

  test("offline DMs with draft/chathistory: the notice has the count, nothing is pushed, CHATHISTORY returns them (login by NickServ)", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    await registerAccount(fx, "anna", "annas-password", { quit: true });
    const bob = await registerAccount(fx, "bob", "bobs-password", { caps: HISTORY_CAPS });
    const sent = [await say(bob, "anna", "one for anna"), await say(bob, "anna", "two for anna")];

    const anna = await fx.raw("anna", { caps: [...HISTORY_CAPS] });
    const identified = await exchange(anna, "PRIVMSG NickServ :IDENTIFY annas-password");
    await rawSync(anna);
    const lines = [...identified.map((l) => l.raw), ...anna.lines];
    const notice = lines.find((l) => AWAY_NOTICE.test(l));
    assert.ok(notice, lines.join("\n"));
    assert.equal(AWAY_NOTICE.exec(notice)![2], "2");
    assert.equal(lines.filter((l) => / PRIVMSG anna :/.test(l)).length, 0, "a chathistory client fetches them itself");

    const reply = await chathistory(anna, "LATEST bob * 10");
    assert.deepEqual(texts(reply), ["one for anna", "two for anna"]);
    assert.ok(reply.ok);
    assert.deepEqual(
      reply.messages.map((l) => l.tags.get("time")),
      sent.map((s) => s.time),
    );
  });
});
