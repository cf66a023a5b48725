/**
 * Messages an account holder sends to itself: each is stored once and read back
 * with CHATHISTORY <ownnick>; a labelled one is answered within its label (the
 * message is stored before it is delivered, so delivery comes after an await).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture } from "../support/account-server.js";
import { chathistory, exchange, HISTORY_CAPS, say, texts } from "../support/irc-lines.js";
import { registerAccount } from "../support/sasl.js";

forEachDatabase("messages to oneself in history", (kind) => {
  test("every message an account holder sends to itself is in CHATHISTORY, once, in order", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const me = await registerAccount(fx, "selfie", "selfies-password", { caps: HISTORY_CAPS });
    const sent = [];
    for (const text of ["one", "two", "three", "four"]) sent.push(await say(me, "selfie", text));
    const reply = await chathistory(me, "LATEST selfie * 10");
    assert.deepEqual(texts(reply), ["one", "two", "three", "four"]);
    assert.ok(reply.ok);
    assert.deepEqual(
      reply.messages.map((l) => l.tags.get("msgid")),
      sent.map((s) => s.msgid),
    );
    // The same conversation by another spelling of the nick.
    assert.deepEqual(texts(await chathistory(me, "LATEST SELFIE * 10")), ["one", "two", "three", "four"]);
    // AROUND includes its reference: with limit 2 around the first, both of the first two.
    assert.deepEqual(texts(await chathistory(me, `AROUND selfie msgid=${sent[0]!.msgid} 2`)), ["one", "two"]);
    assert.deepEqual(texts(await chathistory(me, `AROUND selfie msgid=${sent[1]!.msgid} 3`)), ["one", "two", "three"]);
  });

  test("a labelled message to oneself from an account holder: one labelled echo, or the delivered copy and an ACK", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const echo = await registerAccount(fx, "echoself", "echoselfs-password", { caps: ["labeled-response", "batch", "echo-message"] });
    const lines = (await exchange(echo, "@label=s1 PRIVMSG echoself :stored first")).filter((l) => l.command !== "PONG");
    assert.deepEqual(
      lines.map((l) => l.raw),
      ["@label=s1 :echoself!~echoself@127.0.0.1 PRIVMSG echoself :stored first"],
    );

    const plain = await registerAccount(fx, "plainself", "plainselfs-password", { caps: ["labeled-response", "batch"] });
    const got = (await exchange(plain, "@label=s2 PRIVMSG plainself :stored too")).filter((l) => l.command !== "PONG");
    assert.deepEqual(got.map((l) => l.raw).sort(), [":plainself!~plainself@127.0.0.1 PRIVMSG plainself :stored too", "@label=s2 :cmymessage.local ACK"]);
  });
});
