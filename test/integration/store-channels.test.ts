/**
 * Registered channels in the store, on SQLite and PostgreSQL: the ban, exception and
 * invite-exception lists are kept with the registration (while the channel is empty and
 * across a restart), their bans still keep a banned account from its history, and a
 * registration whose name is no longer a valid channel name loads and can be dropped
 * but not joined.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, openHomeStore, sleep, type AccountsFixture } from "../support/account-server.js";
import type { RawClient } from "../support/raw-client.js";
import { chathistory, exchange, HISTORY_CAPS, say, textOf, texts, type Line } from "../support/irc-lines.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

async function join(client: RawClient, nick: string, channel: string): Promise<void> {
  client.send(`JOIN ${channel}`);
  await client.waitFor(new RegExp(` 366 ${nick} ${channel} `, "i"));
}

async function chanserv(client: RawClient, text: string): Promise<string[]> {
  const lines = await exchange(client, `PRIVMSG ChanServ :${text}`);
  return lines.filter((l) => l.command === "NOTICE" && l.source.startsWith("ChanServ!")).map(textOf);
}

async function mode(client: RawClient, channel: string, change: string): Promise<void> {
  const lines = await exchange(client, `MODE ${channel} ${change}`);
  assert.ok(lines.some((l) => l.command === "MODE"), lines.map((l) => l.raw).join("\n"));
}

/** What JOIN answered: the refusal numeric, or "JOIN". */
async function joinOutcome(client: RawClient, channel: string): Promise<string[]> {
  const lines = await exchange(client, `JOIN ${channel}`);
  return lines.filter((l) => l.command === "JOIN" || /^4\d\d$/.test(l.command)).map((l) => l.command);
}

/** A list as MODE shows it: "<mask> <set by>" per entry, `item` the entry numeric (367, 348, 346). */
function listed(lines: readonly Line[], item: string): string[] {
  return lines.filter((l) => l.command === item).map((l) => `${l.params[2]} ${l.params[3]}`);
}

/** The founder's view of the lists, and who gets in: run while the channel is empty. */
async function assertListsKept(fx: AccountsFixture, when: string): Promise<void> {
  const banned = await fx.raw(`banned${when.length}`, { localAddress: "127.0.0.2" });
  assert.deepEqual(await joinOutcome(banned, "#keep"), ["474"], `${when}: the ban on 127.0.0.2 let a user in`);
  const spared = await fx.raw(`spared${when.length}`, { localAddress: "127.0.0.2" });
  assert.deepEqual(await joinOutcome(spared, "#keep"), ["JOIN"], `${when}: the exception did not let its user in`);

  const { client: fred } = await connectWithPlain(fx, `fred${when.length}`, "fred", "freds-password");
  await join(fred, `fred${when.length}`, "#keep");
  assert.deepEqual(listed(await exchange(fred, "MODE #keep b"), "367"), ["*!*@127.0.0.2 fred"], `${when}: bans`);
  assert.deepEqual(listed(await exchange(fred, "MODE #keep e"), "348"), ["spared*!*@* fred"], `${when}: exceptions`);
  assert.deepEqual(listed(await exchange(fred, "MODE #keep I"), "346"), ["*!*@127.0.0.3 fred"], `${when}: invite exceptions`);
  for (const client of [fred, spared, banned]) {
    client.send("QUIT");
    await client.closed;
  }
}

/**
 * Waits until the registration of `folded` is stored with lists that satisfy `holds`:
 * changes are written behind, and a restart right after one could come before it.
 */
async function untilStored(fx: AccountsFixture, folded: string, holds: (lists: string) => boolean): Promise<void> {
  const store = await openHomeStore(fx.home);
  let stored: string | undefined;
  for (let attempt = 0; attempt < 250; attempt++) {
    stored = (await store.db.selectFrom("channels").select("mode_lists").where("name_folded", "=", folded).executeTakeFirst())?.mode_lists;
    if (stored !== undefined && holds(stored)) return;
    await sleep(20);
  }
  assert.fail(`the lists of ${folded} were not stored: ${stored}`);
}

forEachDatabase("registered channels in the store", (kind) => {
  test("a registered channel keeps its +b, +e and +I lists while it is empty and across a restart", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const fred = await registerAccount(fx, "fred", "freds-password");
    await join(fred, "fred", "#keep");
    // A list entry from before the registration is taken with it; those set after are written behind.
    await mode(fred, "#keep", "+b *!*@127.0.0.2");
    assert.deepEqual(await chanserv(fred, "REGISTER #keep"), ["#keep is registered to fred."]);
    await mode(fred, "#keep", "+eI spared*!*@* *!*@127.0.0.3");
    await mode(fred, "#keep", "+b gone!*@*");
    await mode(fred, "#keep", "-b gone!*@*");
    fred.send("QUIT");
    await fred.closed;

    await assertListsKept(fx, "emptied");
    await untilStored(fx, "#keep", (lists) => lists.includes("spared*!*@*") && !lists.includes("gone!"));
    await fx.restart();
    await assertListsKept(fx, "after a restart");
  });

  test("a topic set right before the server stops is kept: the stop waits for the registration's save", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const fred = await registerAccount(fx, "fred", "freds-password");
    await join(fred, "fred", "#last");
    assert.deepEqual(await chanserv(fred, "REGISTER #last"), ["#last is registered to fred."]);
    for (let i = 1; i <= 20; i++) fred.send(`TOPIC #last :topic number ${i}`);
    await fred.waitFor(/ TOPIC #last :topic number 20$/);
    // No wait for the store: before, the database closed under the saves still queued.
    await fx.restart();
    const otto = await registerAccount(fx, "otto", "ottos-password");
    otto.send("JOIN #last");
    assert.match(await otto.waitFor(/ (332|331) otto #last /), / 332 otto #last :topic number 20$/);
  });

  test("the bans an empty registered channel keeps still keep a banned account from its history", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    const fred = await registerAccount(fx, "fred", "freds-password", { caps: HISTORY_CAPS });
    await registerAccount(fx, "otto", "ottos-password", { quit: true });
    await registerAccount(fx, "alice", "alices-password", { quit: true });
    await join(fred, "fred", "#keep");
    await say(fred, "#keep", "for members and friends");
    assert.deepEqual(await chanserv(fred, "REGISTER #keep"), ["#keep is registered to fred."]);
    await mode(fred, "#keep", "+b a:otto");
    fred.send("QUIT");
    await fred.closed;
    await untilStored(fx, "#keep", (lists) => lists.includes("a:otto"));
    await fx.restart();

    const { client: alice } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: HISTORY_CAPS });
    assert.deepEqual(texts(await chathistory(alice, "LATEST #keep * 10")), ["for members and friends"]);
    const { client: otto } = await connectWithPlain(fx, "otto", "otto", "ottos-password", { caps: HISTORY_CAPS });
    const refused = await chathistory(otto, "LATEST #keep * 10");
    assert.equal(refused.ok, false, "a banned account read the history of the empty registered channel");
  });

  test("a registration whose name is no longer valid (a format character, too many bytes) loads; ChanServ answers and drops it; JOIN gets 476", async (t) => {
    const fx = await openFixture(t, {}, { kind });
    await registerAccount(fx, "fred", "freds-password", { quit: true });
    const store = await openHomeStore(fx.home);
    const founder = await store.db.selectFrom("accounts").select("id").where("name_folded", "=", "fred").executeTakeFirstOrThrow();
    const lookalike = "#gen\u200Beral";
    const long = `#${"é".repeat(63)}`;
    for (const name of [lookalike, long]) {
      await store.db
        .insertInto("channels")
        .values({ name, name_folded: name, founder_account_id: founder.id, topic: "old", topic_set_by: "fred", topic_set_at: 1, modes: "no-external,topic-lock", channel_key: null, user_limit: null, created_at: 1 })
        .execute();
    }
    await fx.restart();

    const { client: fred } = await connectWithPlain(fx, "fred", "fred", "freds-password", { caps: HISTORY_CAPS });
    for (const name of [lookalike, long]) {
      assert.match((await chanserv(fred, `INFO ${name}`))[0] ?? "", / was registered by fred /, JSON.stringify(name));
      assert.deepEqual(await joinOutcome(fred, name), ["476"], JSON.stringify(name));
      assert.equal((await chathistory(fred, `LATEST ${name} * 10`)).ok, false);
      assert.deepEqual(await chanserv(fred, `DROP ${name}`), [`${name} is no longer registered.`]);
    }
    const list = await exchange(fred, "LIST");
    assert.deepEqual(list.filter((l) => l.command === "322").map((l) => l.params[1]), ["#general"]);
    // The server is still there.
    assert.ok((await exchange(fred, "PING alive")).some((l) => l.command === "PONG"));
  });
});
