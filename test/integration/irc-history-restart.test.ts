/**
 * Restart persistence: a new server on the same data directory (and database) has
 * the accounts, the registered channels with their topic and modes (the founder is
 * op again), the channel history, and the DMs an offline account has not seen yet.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture } from "../support/account-server.js";
import type { RawClient } from "../support/raw-client.js";
import { chathistory, exchange, HISTORY_CAPS, say, texts, textOf } from "../support/irc-lines.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

async function join(client: RawClient, nick: string, channel: string, key = ""): Promise<void> {
  client.send(`JOIN ${channel}${key ? ` ${key}` : ""}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `, "i"));
}

forEachDatabase("restart", (kind) => {
  test("accounts, a registered channel (topic, +ntk, founder op), channel history and an unseen offline DM survive a restart", async (t) => {
    const fx = await openFixture(t, {}, { kind });

    // ── before ──
    const fred = await registerAccount(fx, "fred", "freds-password", { caps: HISTORY_CAPS });
    await join(fred, "fred", "#keep");
    fred.send("TOPIC #keep :kept across restarts");
    await fred.waitFor(/ TOPIC #keep /);
    const registered = await exchange(fred, "PRIVMSG ChanServ :REGISTER #keep");
    assert.deepEqual(registered.filter((l) => l.command === "NOTICE").map(textOf), ["#keep is registered to fred."]);
    // Modes set after registration are kept too (written behind).
    fred.send("MODE #keep +ntk sesame");
    await fred.waitFor(/ MODE #keep \+/);
    const before = [await say(fred, "#keep", "said before the restart"), await say(fred, "#general", "general before the restart")];

    await registerAccount(fx, "alice", "alices-password", { quit: true });
    const dm = await say(fred, "alice", "waiting for you across a restart");
    fred.send("QUIT");
    await fred.closed;

    await fx.restart();

    // ── after ──
    // A guest re-creates #keep: the topic and the modes with the key are back, the guest is not op.
    // (Whether the key is enforced on the join that re-creates the channel is tested in irc-accounts-chanserv.)
    const guest = await fx.raw("guest", { caps: HISTORY_CAPS });
    await join(guest, "guest", "#keep", "sesame");
    assert.ok(guest.lines.some((l) => / 332 guest #keep :kept across restarts$/.test(l)), guest.lines.join("\n"));
    assert.ok(guest.lines.some((l) => / 353 guest [=*@] #keep :guest$/.test(l)), "the guest is not op");
    const modes = await exchange(guest, "MODE #keep");
    const mode = modes.find((l) => l.command === "324");
    assert.ok(mode, modes.map((l) => l.raw).join("\n"));
    assert.deepEqual([...mode.params[2]!.replace("+", "")].sort(), ["k", "n", "t"]);
    assert.equal(mode.params[3], "sesame");

    // The account still logs in, and its founder is op on joining.
    const { client: fred2, result } = await connectWithPlain(fx, "fred", "fred", "freds-password", { caps: HISTORY_CAPS });
    assert.equal(result.command, "903");
    fred2.send("JOIN #keep sesame");
    const names = await fred2.waitFor(/ 353 fred [=*@] #keep /);
    assert.match(names, /[ :]@fred( |$)/, names);
    const info = await exchange(fred2, "PRIVMSG ChanServ :INFO #keep");
    assert.match(info.map(textOf).join("\n"), /#keep was registered by fred on /);

    // History from before the restart.
    assert.deepEqual(texts(await chathistory(fred2, "LATEST #keep * 10")), ["said before the restart"]);
    const general = await chathistory(fred2, "LATEST #general * 10");
    assert.ok(general.ok);
    assert.deepEqual(texts(general), ["general before the restart"]);
    assert.equal(general.messages[0]!.tags.get("msgid"), before[1]!.msgid);

    // The DM sent to alice while she was offline, before the restart, is delivered at her next login.
    const { client: alice } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: ["batch", "server-time", "message-tags"] });
    assert.match(await alice.waitFor(/NOTICE alice :\d+ direct messages? arrived while you were away/), /:1 direct message arrived while you were away\.$/);
    const replayed = await alice.waitFor(/ PRIVMSG alice :waiting for you across a restart$/);
    assert.match(replayed, new RegExp(`time=${dm.time.replace(/\./g, "\\.")}`));
    assert.match(replayed, new RegExp(`msgid=${dm.msgid}`));
  });
});
