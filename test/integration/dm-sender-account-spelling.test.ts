/**
 * The sender's account in direct-message history is written as it was registered
 * (`Dora`), as channel history and live delivery write it, and as Ergo replays it:
 * over HTTP (the dms route, search) and over IRC (CHATHISTORY, the offline replay at
 * login). Conversations are still found by the account's folded name (CHATHISTORY
 * TARGETS, search, the dms route by any case), and rows an earlier version stored
 * folded get the registered spelling back when the server next starts (migration 0018).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { sql, type Kysely } from "kysely";
import { forEachDatabase, openFixture, openHomeStore, type AccountsFixture } from "../support/account-server.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { chathistory, HISTORY_CAPS, parseLine, say, textOf } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { connectWithPlain } from "../support/sasl.js";
import { createMigrator, migrateToLatest, MIGRATION_TABLE } from "../../src/store/migrator.js";
import { forEachDialect } from "../support/databases.js";
import type { MessagePage, SearchPageView } from "../../src/http/schemas.js";

const CAPS = [...HISTORY_CAPS, "account-tag"] as const;
const EVER = "timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 50";

interface Scene {
  readonly fx: AccountsFixture;
  readonly api: ApiClient;
  readonly tokens: Record<"Dora" | "ed" | "fay", string>;
  readonly dora: RawClient;
  readonly ed: RawClient;
  /** The account tag of Dora's DM as ed received it live. */
  readonly liveAccount: string | undefined;
}

/** `Dora` (SASL over IRC) says something in #general, to ed (online), to fay (offline, an account) and to the guest gus. */
async function scene(t: Parameters<typeof openFixture>[0], kind: "sqlite" | "postgres"): Promise<Scene> {
  const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } }, { kind });
  const api = ApiClient.forPort(fx.server.http[0]!.port);
  const tokens = {} as Record<"Dora" | "ed" | "fay", string>;
  for (const name of ["Dora", "ed", "fay"] as const) tokens[name] = (await api.register(name)).tokens.accessToken;
  const { client: dora } = await connectWithPlain(fx, "Dora", "Dora", PASSWORD, { caps: CAPS });
  const { client: ed } = await connectWithPlain(fx, "ed", "ed", PASSWORD, { caps: CAPS });
  const gus = await fx.raw("gus", { caps: [...CAPS] });
  await say(dora, "#general", "chan hi");
  await say(dora, "ed", "dm hi");
  const live = parseLine(await ed.waitFor((raw) => raw.includes(" PRIVMSG ed :dm hi")));
  await say(dora, "fay", "offline hi");
  await say(dora, "gus", "guest hi");
  await gus.waitFor((raw) => raw.endsWith(" PRIVMSG gus :guest hi"));
  return { fx, api, tokens, dora, ed, liveAccount: live.tags.get("account") };
}

async function dmAccounts(api: ApiClient, with_: string, token: string): Promise<Array<[string, string | null]>> {
  const reply = await api.dmMessages(with_, token);
  assert.equal(reply.status, 200, reply.text);
  return (reply.body as MessagePage).messages.map((m) => [m.text, m.from.account]);
}

async function search(api: ApiClient, words: string, token: string): Promise<Array<[string, string | null, unknown]>> {
  const reply = await api.get<SearchPageView>(`/api/v1/search?q=${encodeURIComponent(words)}`, token);
  assert.equal(reply.status, 200, reply.text);
  return reply.body.results.map((r) => [r.text, r.account, r.conversation]);
}

/** Everything a reader sees of Dora's messages names her account `Dora`; her conversations are all still found. */
async function assertRegisteredSpelling(s: Scene): Promise<void> {
  const { api, tokens, dora, ed } = s;
  const channel = await api.channelMessages("#general", tokens.ed);
  assert.deepEqual(
    channel.body.messages.filter((m) => m.text === "chan hi").map((m) => m.from.account),
    ["Dora"],
  );
  // The dms route, whatever case the other side is named in.
  assert.deepEqual(await dmAccounts(api, "Dora", tokens.ed), [["dm hi", "Dora"]]);
  assert.deepEqual(await dmAccounts(api, "dora", tokens.ed), [["dm hi", "Dora"]]);
  assert.deepEqual(await dmAccounts(api, "ed", tokens.Dora), [["dm hi", "Dora"]]);
  assert.deepEqual(await dmAccounts(api, "Dora", tokens.fay), [["offline hi", "Dora"]]);
  assert.deepEqual(await dmAccounts(api, "gus", tokens.Dora), [["guest hi", "Dora"]]);

  // Search: ed finds it from Dora; Dora finds what she sent, each in the conversation with the other side.
  assert.deepEqual(await search(api, "hi", tokens.ed), [
    ["dm hi", "Dora", { kind: "direct", with: "Dora" }],
    ["chan hi", "Dora", { kind: "channel", name: "#general" }],
  ]);
  assert.deepEqual(await search(api, "hi", tokens.Dora), [
    ["guest hi", "Dora", { kind: "direct", with: "gus" }],
    ["offline hi", "Dora", { kind: "direct", with: "fay" }],
    ["dm hi", "Dora", { kind: "direct", with: "ed" }],
    ["chan hi", "Dora", { kind: "channel", name: "#general" }],
  ]);

  // IRC: the replay carries the account tag live delivery carried.
  const replay = await chathistory(ed, "LATEST Dora * 5");
  assert.ok(replay.ok);
  assert.deepEqual(
    replay.messages.map((l) => [textOf(l), l.tags.get("account")]),
    [["dm hi", "Dora"]],
  );
  const channelReplay = await chathistory(ed, "LATEST #general * 5");
  assert.ok(channelReplay.ok);
  assert.deepEqual(
    channelReplay.messages.map((l) => l.tags.get("account")),
    ["Dora"],
  );
  const own = await chathistory(dora, "LATEST gus * 5");
  assert.ok(own.ok);
  assert.deepEqual(
    own.messages.map((l) => [textOf(l), l.tags.get("account")]),
    [["guest hi", "Dora"]],
  );
  // Every one of Dora's conversations is listed, the guest's too (it holds no recipient account).
  const targets = await chathistory(dora, `TARGETS ${EVER}`);
  assert.ok(targets.ok);
  assert.deepEqual(targets.messages.map((l) => l.params[1]).sort(), ["#general", "ed", "fay", "gus"]);
  const edTargets = await chathistory(ed, `TARGETS ${EVER}`);
  assert.ok(edTargets.ok);
  assert.deepEqual(edTargets.messages.map((l) => l.params[1]).sort(), ["#general", "dora"]);
}

forEachDatabase("the sender's account in direct-message history", (kind) => {
  test("history, search and CHATHISTORY give Dora's account as registered, as live delivery and channels do", async (t) => {
    const s = await scene(t, kind);
    assert.equal(s.liveAccount, "Dora", "live delivery");
    await assertRegisteredSpelling(s);

    // fay, offline when it was sent, gets it at login with the same account tag.
    const { client: fay } = await connectWithPlain(s.fx, "fay", "fay", PASSWORD, { caps: ["batch", "server-time", "message-tags", "account-tag"] });
    const replayed = parseLine(await fay.waitFor((raw) => raw.endsWith(" PRIVMSG fay :offline hi")));
    assert.equal(replayed.tags.get("account"), "Dora");
  });

  test("rows an earlier version stored with the sender's account folded read as registered after a restart", async (t) => {
    const s = await scene(t, kind);
    const store = await openHomeStore(s.fx.home);
    // What the earlier version wrote: the sender's account of every direct message folded.
    await store.db.updateTable("messages").set({ sender_account: "dora" }).where("target", "like", "@%").where("sender_account", "=", "Dora").execute();
    const folded = await store.db.selectFrom("messages").select("sender_account").where("target", "like", "@%").execute();
    assert.deepEqual(folded.map((r) => r.sender_account), ["dora", "dora", "dora"]);
    // As if the database were still at the version before this one.
    await (store.db as unknown as Kysely<Record<string, { name: string }>>).deleteFrom(MIGRATION_TABLE).where("name", ">", "0017").execute();

    await s.fx.restart();
    const api = ApiClient.forPort(s.fx.server.http[0]!.port);
    const { client: dora } = await connectWithPlain(s.fx, "Dora", "Dora", PASSWORD, { caps: CAPS });
    const { client: ed } = await connectWithPlain(s.fx, "ed", "ed", PASSWORD, { caps: CAPS });
    await assertRegisteredSpelling({ ...s, api, dora, ed });
  });
});

forEachDialect("0018: direct messages' sender account as registered", (target) => {
  test("DM rows stored folded take the account's registered spelling; channel rows, guests and deleted accounts' rows stay as they are", async (t) => {
    const database = await target.create(t);
    const store = await database.open({ migrate: false });
    const raw = store.db as unknown as Kysely<unknown>;
    const migrator = await createMigrator(raw, store.dialect);
    const before = await migrator.migrateTo("0017-target-index-behind");
    if (before.error) throw before.error;
    const db = store.db;
    const account = (name: string) => ({ name, name_folded: name.toLowerCase(), email: null, created_at: 1, verified_at: 1, last_seen_at: null, multiclient: null, always_on: null });
    await db.insertInto("accounts").values([account("Dora"), account("ed"), account("McQueen")]).execute();
    const row = (msgid: string, target: string, sender: string | null, recipient: string | null) => ({
      msgid,
      kind: "privmsg",
      target,
      target_display: "x",
      sender_nick: "x",
      sender_mask: "x@x",
      sender_account: sender,
      recipient_account: recipient,
      time: 1,
      text: "hi",
      tags: null,
    });
    await db
      .insertInto("messages")
      .values([
        row("d1", "@dora ed", "dora", "ed"),
        row("d2", "@dora ed", "ed", "dora"),
        row("d3", "@dora ~gus", "dora", null),
        row("d4", "@dora ~gus", null, "dora"),
        row("d5", "@ed mcqueen", "mcqueen", "ed"),
        row("d6", "@ed gone", "gone", "ed"),
        row("c1", "#general", "Dora", null),
      ])
      .execute();
    if (store.dialect === "sqlite") {
      // Rows the index of conversations has taken in, and one it has not yet (its tail).
      await sql`insert or ignore into message_targets (target, time, id) select target, time, id from messages where id <= (select id from messages where msgid = 'd4')`.execute(raw);
      await sql`update message_targets_state set indexed_upto = (select id from messages where msgid = 'd4') where id = 1`.execute(raw);
    }
    const { applied } = await migrateToLatest(raw, store.dialect);
    assert.ok(applied.includes("0018-direct-sender-account"), applied.join(", "));
    const rows = await db.selectFrom("messages").select(["msgid", "sender_account"]).orderBy("msgid").execute();
    assert.deepEqual(
      rows.map((r) => [r.msgid, r.sender_account]),
      [
        ["c1", "Dora"],
        ["d1", "Dora"],
        ["d2", "ed"],
        ["d3", "Dora"],
        ["d4", null],
        ["d5", "McQueen"],
        ["d6", "gone"],
      ],
    );
  });
});
