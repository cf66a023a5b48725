/**
 * A deleted account's correspondents keep their conversations with it (docs/accounts.md,
 * "Deleted accounts"): after `cmymessage user del bob`, alice reads what she and bob said
 * by the name `bob` through every door alike — IRC CHATHISTORY, the HTTP dms route, and
 * a search result opened where docs/http-api.md says it opens. The name stays free for
 * guests: while a guest holds the nick `bob`, the name means that guest's conversation
 * (as live chat with it does), and CHATHISTORY TARGETS lists each conversation under the
 * name that opens it now, never two conversations under one name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, type AccountsFixture } from "../support/account-server.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { chathistory, exchange, HISTORY_CAPS, say, texts } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { connectWithPlain } from "../support/sasl.js";
import { runCli } from "../support/cli-command.js";
import type { SearchPageView } from "../../src/http/schemas.js";

const EVER = "timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z";
const CAPS = [...HISTORY_CAPS, "draft/message-redaction"] as const;

/** `cmymessage user del <name>` on the fixture's data, as an operator runs it beside the server. */
async function userDel(fx: AccountsFixture, name: string): Promise<void> {
  const env: Record<string, string> = { CMY_DATA_DIR: fx.home.dataDir };
  if (fx.home.databaseUrl !== "") env["CMY_DATABASE_URL"] = fx.home.databaseUrl;
  const run = await runCli(["user", "del", name], env);
  assert.equal(run.code, 0, run.stderr);
}

async function dms(api: ApiClient, other: string, token: string): Promise<string[]> {
  const reply = await api.dmMessages(other, token);
  assert.equal(reply.status, 200, reply.text);
  return reply.body.messages.map((m) => m.text);
}

async function search(api: ApiClient, words: string, token: string): Promise<Array<{ msgid: string; text: string; conversation: unknown }>> {
  const reply = await api.get<SearchPageView>(`/api/v1/search?q=${encodeURIComponent(words)}`, token);
  assert.equal(reply.status, 200, reply.text);
  return reply.body.results.map((r) => ({ msgid: r.msgid, text: r.text, conversation: r.conversation }));
}

/** The `CHATHISTORY TARGETS` lines as [name, time]. */
async function targets(client: RawClient, limit = 10): Promise<Array<[string, string]>> {
  const reply = await chathistory(client, `TARGETS ${EVER} ${limit}`);
  assert.ok(reply.ok, !reply.ok ? reply.fail.raw : "");
  return reply.messages.map((l) => [l.params[1]!, l.params[2]!]);
}

interface Scene {
  readonly fx: AccountsFixture;
  readonly api: ApiClient;
  readonly alice: RawClient;
  readonly aliceToken: string;
  /** The time of bob's answer, the account conversation's newest message. */
  readonly lastTime: string;
}

/** alice and bob (accounts) exchange direct messages over IRC; then `cmymessage user del bob` ends bob. */
async function scene(t: Parameters<typeof openFixture>[0], kind: "sqlite" | "postgres"): Promise<Scene> {
  const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] }, history: { enabled: true }, accounts: { deletedCheckSeconds: 1 } }, { kind });
  const api = ApiClient.forPort(fx.server.http[0]!.port);
  const aliceToken = (await api.register("alice")).tokens.accessToken;
  await api.register("bob");
  const { client: alice } = await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps: CAPS });
  const { client: bob } = await connectWithPlain(fx, "bob", "bob", PASSWORD, { caps: HISTORY_CAPS });
  await say(alice, "bob", "hello bob");
  const answer = await say(bob, "alice", "hello alice");
  await alice.waitFor((raw) => raw.endsWith(" PRIVMSG alice :hello alice"));
  assert.deepEqual(texts(await chathistory(alice, "LATEST bob * 10")), ["hello bob", "hello alice"], "before the deletion");

  await userDel(fx, "bob");
  // bob's session ends within accounts.deletedCheckSeconds; alice, in #general with it, sees it go.
  await bob.waitFor(/^ERROR .*Account deleted/, 10_000);
  await alice.waitFor(/:bob!\S+ QUIT /, 10_000);
  return { fx, api, alice, aliceToken, lastTime: answer.time };
}

/** What alice reads of her conversation with the deleted bob, by the name `bob`, through every door. */
async function assertAccountConversation(s: Scene): Promise<void> {
  const { api, alice, aliceToken } = s;
  assert.deepEqual(texts(await chathistory(alice, "LATEST bob * 10")), ["hello bob", "hello alice"], "CHATHISTORY LATEST");
  assert.deepEqual(await dms(api, "bob", aliceToken), ["hello bob", "hello alice"], "GET /dms/bob/messages");
  assert.deepEqual(await dms(api, "BOB", aliceToken), ["hello bob", "hello alice"], "the name in any case");

  // Each search result opens in its conversation, as docs/http-api.md says: /dms/{with} and CHATHISTORY AROUND.
  const found = (await search(api, "hello", aliceToken)).filter((r) => r.text !== "hello from guest bob");
  assert.deepEqual(
    found.map((r) => [r.text, r.conversation]),
    [
      ["hello alice", { kind: "direct", with: "bob" }],
      ["hello bob", { kind: "direct", with: "bob" }],
    ],
  );
  for (const result of found) {
    const around = await chathistory(alice, `AROUND bob msgid=${result.msgid} 5`);
    assert.deepEqual(texts(around), ["hello bob", "hello alice"], `AROUND the result "${result.text}"`);
    const page = await api.dmMessages("bob", aliceToken);
    assert.ok(
      page.body.messages.some((m) => m.msgid === result.msgid),
      `the result "${result.text}" is in /dms/bob/messages`,
    );
  }
}

forEachDatabase("a deleted account's conversations, kept for the other side", (kind) => {
  test("after `cmymessage user del bob`, alice still reads, finds and opens her conversation with bob by the name bob", async (t) => {
    const s = await scene(t, kind);
    await assertAccountConversation(s);
    assert.deepEqual(await targets(s.alice), [["bob", s.lastTime]], "TARGETS");

    // REDACT finds her message there too: she may still take back what she wrote.
    const [mine] = (await search(s.api, "bob", s.aliceToken)).filter((r) => r.text === "hello bob");
    const answer = await exchange(s.alice, `REDACT bob ${mine!.msgid}`);
    assert.equal(answer.find((l) => l.command === "FAIL")?.raw, undefined, "REDACT succeeds");
    assert.deepEqual(texts(await chathistory(s.alice, "LATEST bob * 10")), ["hello alice"]);
  });

  test("a guest holding the nick bob has the name while online; each conversation is listed once, under the name that opens it", async (t) => {
    const s = await scene(t, kind);
    const { fx, api, alice, aliceToken } = s;
    const guest = await fx.raw("bob", { caps: HISTORY_CAPS });
    const fromGuest = await say(guest, "alice", "hello from guest bob");
    await alice.waitFor((raw) => raw.endsWith(" PRIVMSG alice :hello from guest bob"));

    // The name means the guest online, for live chat and history alike.
    assert.deepEqual(texts(await chathistory(alice, "LATEST bob * 10")), ["hello from guest bob"]);
    assert.deepEqual(await dms(api, "bob", aliceToken), ["hello from guest bob"]);
    assert.deepEqual(await targets(alice), [["bob", fromGuest.time]], "one bob line: the guest's conversation, which LATEST bob opens");
    const guestResult = (await search(api, "hello", aliceToken)).find((r) => r.text === "hello from guest bob");
    assert.deepEqual(guestResult?.conversation, { kind: "direct", with: "bob" });
    assert.deepEqual(texts(await chathistory(alice, `AROUND bob msgid=${guestResult.msgid} 5`)), ["hello from guest bob"]);

    // The guest gone, the name is the deleted account's again.
    guest.send("QUIT :bye");
    await alice.waitFor(/:bob!\S+ QUIT /, 10_000);
    await assertAccountConversation(s);
    assert.deepEqual(await targets(alice), [["bob", s.lastTime]], "one bob line: the account conversation");
  });

  test("a guest's conversation whose nick became an account's is not listed under the account's name", async (t) => {
    const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } }, { kind });
    const api = ApiClient.forPort(fx.server.http[0]!.port);
    await api.register("alice");
    await api.register("dave");
    const { client: alice } = await connectWithPlain(fx, "alice", "alice", PASSWORD, { caps: HISTORY_CAPS });
    const toDave = await say(alice, "dave", "hi dave");
    const guest = await fx.raw("carol", { caps: HISTORY_CAPS });
    const sent = await say(guest, "alice", "hi from a guest");
    await alice.waitFor((raw) => raw.endsWith(" PRIVMSG alice :hi from a guest"));
    assert.deepEqual(await targets(alice), [
      ["carol", sent.time],
      ["dave", toDave.time],
    ]);
    guest.send("QUIT :bye");
    await alice.waitFor(/:carol!\S+ QUIT /, 10_000);

    // Someone else registers the name: `carol` is now the account's (empty) conversation.
    await api.register("carol");
    assert.deepEqual(texts(await chathistory(alice, "LATEST carol * 10")), []);
    assert.deepEqual(await targets(alice), [["dave", toDave.time]], "the guest's conversation is not shown as carol's");
    // A conversation left out does not take a place of the limit: the next one is listed in it.
    assert.deepEqual(await targets(alice, 1), [["dave", toDave.time]]);
  });
});

