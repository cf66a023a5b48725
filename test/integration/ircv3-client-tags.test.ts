/**
 * Client-only tags the web client uses: `+typing` (TAGMSG), `+draft/reply` (PRIVMSG and
 * TAGMSG) and `+draft/react` with `+draft/reply` (TAGMSG) reach clients with
 * message-tags in a channel and in a direct conversation, the sender's other
 * connections included, and `+draft/reply` on a PRIVMSG is kept in history.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { rawSync } from "../support/fixture.js";
import { chathistory, parseLine, say, type Line } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import type { FrameworkClient } from "../support/framework-client.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

const CAPS = ["message-tags", "echo-message", "server-time", "batch", "draft/chathistory"];
const REACTION = "👍";

/** The next line `client` receives with this command and tag (already received or still to come). */
async function received(client: RawClient, command: string, tag: string): Promise<Line> {
  return parseLine(await client.waitFor((raw) => raw.startsWith("@") && raw.includes(` ${command} `) && parseLine(raw).tags.has(tag)));
}

/** Whether `client` received no TAGMSG up to now. */
async function noTagmsg(client: RawClient): Promise<boolean> {
  await rawSync(client);
  return !client.lines.some((line) => / TAGMSG /.test(line));
}

forEachDatabase("client-only tags", (kind) => {
  const scope = suiteScope();
  let fx: AccountsFixture;
  let alice: RawClient;
  let alicePhone: RawClient;
  let bob: RawClient;
  let plain: RawClient;
  let framework: FrameworkClient;

  before(async () => {
    fx = await openFixture(scope, {}, { kind });
    alice = await registerAccount(fx, "alice", "alices-password", { caps: CAPS });
    bob = await registerAccount(fx, "bob", "bobs-password", { caps: CAPS });
    plain = await fx.raw("plain");
    framework = await fx.framework("frame");
    ({ client: alicePhone } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: CAPS }));
    for (const c of [alice, bob, plain, alicePhone]) await rawSync(c);
    for (const c of [alice, bob, plain, alicePhone]) c.lines.length = 0;
  });
  after(() => scope.run());

  test("+typing in a channel: to clients with message-tags and the sender's other connection, echoed, nothing to the others", async () => {
    for (const state of ["active", "paused", "done"]) {
      alice.send(`@+typing=${state} TAGMSG #general`);
      const echo = await received(alice, "TAGMSG", "+typing");
      assert.equal(echo.tags.get("+typing"), state);
      for (const c of [bob, alicePhone]) {
        const line = await received(c, "TAGMSG", "+typing");
        assert.equal(line.source, "alice!~alice@127.0.0.1");
        assert.deepEqual(line.params, ["#general"]);
        assert.equal(line.tags.get("+typing"), state);
        assert.equal(line.tags.get("msgid"), echo.tags.get("msgid"));
      }
      const seen = await framework.waitFor("tagmsg", (e) => e.tags["+typing"] === state);
      assert.equal(seen.nick, "alice");
      assert.equal(seen.target, "#general");
    }
    assert.ok(await noTagmsg(plain));
  });

  test("+draft/reply on a PRIVMSG and +draft/react with +draft/reply on a TAGMSG, in a channel", async () => {
    const original = await say(bob, "#general", "shall we?");
    alice.send(`@+draft/reply=${original.msgid} PRIVMSG #general :yes`);
    for (const c of [bob, alicePhone]) {
      const reply = await received(c, "PRIVMSG", "+draft/reply");
      assert.equal(reply.tags.get("+draft/reply"), original.msgid);
      assert.equal(reply.params[1], "yes");
    }
    assert.equal((await framework.waitFor("privmsg", (e) => e.message === "yes")).tags["+draft/reply"], original.msgid);
    // A client without message-tags still gets the text.
    await plain.waitFor(/^:alice!\S+ PRIVMSG #general :yes$/);

    alice.send(`@+draft/react=${REACTION};+draft/reply=${original.msgid} TAGMSG #general`);
    for (const c of [bob, alicePhone]) {
      const react = await received(c, "TAGMSG", "+draft/react");
      assert.equal(react.tags.get("+draft/react"), REACTION);
      assert.equal(react.tags.get("+draft/reply"), original.msgid);
    }
    const reacted = await framework.waitFor("tagmsg", (e) => e.tags["+draft/react"] === REACTION);
    assert.equal(reacted.tags["+draft/reply"], original.msgid);
    assert.ok(await noTagmsg(plain));
  });

  test("in a direct conversation: typing, reply and reaction reach the other party and the sender's other connection", async () => {
    const question = await say(bob, "alice", "coffee?");
    await alice.waitFor((l) => l.endsWith("PRIVMSG alice :coffee?"));
    alice.send("@+typing=active TAGMSG bob");
    for (const c of [bob, alicePhone]) {
      const typing = await received(c, "TAGMSG", "+typing");
      assert.deepEqual(typing.params, ["bob"]);
      assert.equal(typing.tags.get("+typing"), "active");
    }
    alice.send(`@+draft/reply=${question.msgid} PRIVMSG bob :always`);
    for (const c of [bob, alicePhone]) assert.equal((await received(c, "PRIVMSG", "+draft/reply")).tags.get("+draft/reply"), question.msgid);
    alice.send(`@+draft/react=${REACTION};+draft/reply=${question.msgid} TAGMSG bob`);
    for (const c of [bob, alicePhone]) {
      const react = await received(c, "TAGMSG", "+draft/react");
      assert.deepEqual(react.params, ["bob"]);
      assert.equal(react.tags.get("+draft/reply"), question.msgid);
    }
    // To a user without message-tags a TAGMSG is nothing at all.
    alice.send("@+typing=active TAGMSG plain");
    assert.ok(await noTagmsg(plain));
  });

  test("+draft/reply on a PRIVMSG is kept in history; TAGMSGs are not stored", async () => {
    const original = await say(bob, "#general", "history question");
    const answer = await say(alice, "#general", "history answer");
    assert.ok(!answer.line.tags.has("+draft/reply"));
    alice.send(`@+draft/reply=${original.msgid} PRIVMSG #general :a threaded answer`);
    await bob.waitFor((l) => l.endsWith(":a threaded answer"));
    alice.send(`@+draft/react=${REACTION};+draft/reply=${original.msgid} TAGMSG #general`);
    await received(bob, "TAGMSG", "+draft/react");
    const reply = await chathistory(bob, "LATEST #general * 5");
    assert.ok(reply.ok);
    const threaded = reply.messages.find((l) => l.params[1] === "a threaded answer");
    assert.equal(threaded?.tags.get("+draft/reply"), original.msgid);
    assert.ok(reply.messages.every((l) => l.command !== "TAGMSG"));
    const direct = await chathistory(bob, "LATEST alice * 10");
    assert.ok(direct.ok);
    assert.ok(direct.messages.some((l) => l.params[1] === "always" && l.tags.get("+draft/reply") !== undefined));
  });
});
