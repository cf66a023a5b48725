/**
 * GET /api/v1/search over what real IRC clients said, on SQLite and PostgreSQL:
 * words are found in channels and direct conversations, only where the account may
 * read (core's history rule), newest first and paged with `next`; hostile queries
 * are words, never query syntax, and never widen what is found or fail with 500; a
 * deleted message is never found.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, openHomeStore, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { ApiClient, PASSWORD, isProblem, type HttpReply } from "../support/http-client.js";
import { HISTORY_CAPS, say, type Sent } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { startTestServer } from "../support/test-server.js";
import { waitFor } from "../support/wait.js";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import type { MessagePage, SearchPageView, SearchResultView } from "../../src/http/schemas.js";
import type { Problem } from "../../src/http/problems.js";

const ACCOUNTS = ["alice", "bob", "carol", "dave"] as const;
type Name = (typeof ACCOUNTS)[number];

forEachDatabase("message search over HTTP", (kind) => {
  const scope = suiteScope();
  let fx: AccountsFixture;
  let api: ApiClient;
  const tokens = {} as Record<Name, string>;
  const irc = {} as Record<Name | "gus", RawClient>;
  /** The msgid of every "zebra" message, by a short name. */
  const zebra = new Map<string, string>();
  const said = async (name: string, client: RawClient, target: string, text: string): Promise<void> => void zebra.set(name, (await say(client, target, text)).msgid);
  let creme: Sent;
  let cjk: Sent;

  async function search(who: Name, query: string): Promise<HttpReply<SearchPageView & Problem>> {
    return api.get<SearchPageView & Problem>(`/api/v1/search?${query}`, tokens[who]);
  }

  async function found(who: Name, words: string, extra = ""): Promise<SearchResultView[]> {
    const reply = await search(who, `q=${encodeURIComponent(words)}${extra}`);
    assert.equal(reply.status, 200, reply.text);
    return reply.body.results;
  }

  async function join(client: RawClient, nick: string, channel: string): Promise<void> {
    client.send(`JOIN ${channel}`);
    await client.waitFor(new RegExp(` 366 ${nick} ${channel} `, "i"));
  }

  async function mode(client: RawClient, channel: string, change: string): Promise<void> {
    client.send(`MODE ${channel} ${change}`);
    await client.waitFor((line) => line.includes(` MODE ${channel} ${change.split(" ")[0]}`));
  }

  const names = (results: readonly SearchResultView[]): string[] => results.map((r) => [...zebra].find(([, msgid]) => msgid === r.msgid)?.[0] ?? `?${r.text}`).sort();

  before(async () => {
    fx = await openFixture(scope, { http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } }, { kind });
    api = ApiClient.forPort(fx.server.http[0]!.port);
    for (const name of ACCOUNTS) tokens[name] = (await api.register(name)).tokens.accessToken;
    for (const name of ["alice", "bob", "carol"] as const) {
      const client = await fx.raw(name, { caps: HISTORY_CAPS });
      client.send(`PRIVMSG NickServ :IDENTIFY ${name} ${PASSWORD}`);
      await client.waitFor(/ 900 /);
      irc[name] = client;
    }
    irc.gus = await fx.raw("gus", { caps: HISTORY_CAPS });
    const { alice, bob, carol, gus } = irc;

    await join(alice, "alice", "#Lobby");
    await join(bob, "bob", "#lobby");
    creme = await say(alice, "#Lobby", "Crème brûlée for dessert tonight");
    await say(bob, "#Lobby", "The QUICK brown fox");
    cjk = await say(alice, "#Lobby", "日本語のテキスト");
    await said("lobby", bob, "#Lobby", "zebra crossing in the lobby");

    // Channels alice may not read: secret, invite-only, keyed, banning her; a registered secret one nobody is in.
    await join(carol, "carol", "#vault");
    await mode(carol, "#vault", "+s");
    await said("vault", carol, "#vault", "zebra in the vault");
    await join(carol, "carol", "#club");
    await mode(carol, "#club", "+i");
    await said("club", carol, "#club", "zebra in the club");
    await join(carol, "carol", "#keyed");
    await mode(carol, "#keyed", "+k sesame");
    await said("keyed", carol, "#keyed", "zebra behind a key");
    await join(carol, "carol", "#noalice");
    await mode(carol, "#noalice", "+b alice!*@*");
    await said("noalice", carol, "#noalice", "zebra where alice is banned");
    await join(carol, "carol", "#carolreg");
    carol.send("PRIVMSG ChanServ :REGISTER #carolreg");
    await carol.waitFor((line) => line.includes("#carolreg is registered to"));
    await mode(carol, "#carolreg", "+s");
    await said("registered", carol, "#carolreg", "zebra in a registered secret room");
    carol.send("PART #carolreg");
    await carol.waitFor(/ PART #carolreg/);

    // A channel alice is not in but could join freely.
    await join(bob, "bob", "#bobopen");
    await said("bobopen", bob, "#bobopen", "zebra in bob's open room");

    // Direct conversations: bob and carol (nobody else's), a guest and alice both ways.
    await said("bob-carol", bob, "carol", "zebra between bob and carol");
    await said("gus-alice", gus, "alice", "zebra from a guest");
    await said("alice-gus", alice, "gus", "zebra back to the guest");

    // irc-framework, an independent client library, says one too.
    const dave = await fx.framework("dave");
    dave.client.say("NickServ", `IDENTIFY dave ${PASSWORD}`);
    await dave.waitRaw(/ 900 /);
    dave.client.join("#Lobby");
    await dave.waitFor("userlist", (event) => event.channel.toLowerCase() === "#lobby");
    dave.client.say("#Lobby", "zebra said with irc-framework");
    const daves = await waitFor(async () => (await found("alice", "irc-framework")).find((r) => r.from === "dave"), { what: "dave's message stored" });
    zebra.set("dave", daves.msgid);
  });
  after(() => scope.run());

  test("words said over IRC are found with the contract's fields, newest first, the time as history gives it", async () => {
    const results = await found("alice", "brûlée");
    assert.deepEqual(results, [
      {
        msgid: creme.msgid,
        time: creme.time,
        kind: "privmsg",
        from: "alice",
        account: "alice",
        text: "Crème brûlée for dessert tonight",
        conversation: { kind: "channel", name: "#Lobby" },
      },
    ]);
    // The same instant, written the same way, as the history route says.
    const history = await api.get<MessagePage>("/api/v1/channels/%23lobby/messages?limit=200", tokens.alice);
    assert.equal(history.body.messages.find((m) => m.msgid === creme.msgid)?.time, results[0]!.time);

    const all = await found("bob", "zebra");
    const times = all.map((r) => Date.parse(r.time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
    assert.equal(all[0]!.msgid, zebra.get("dave"), "the newest is the last one said");
  });

  test("case-insensitive (and accent-insensitive on SQLite); the last word is also a prefix; all words must be found", async () => {
    assert.deepEqual((await found("alice", "CRÈME BRÛLÉE")).map((r) => r.msgid), [creme.msgid]);
    assert.deepEqual((await found("alice", "the quick BROWN fox")).map((r) => r.text), ["The QUICK brown fox"]);
    assert.deepEqual((await found("alice", "brown QUI")).map((r) => r.text), ["The QUICK brown fox"], "prefix of the last word");
    assert.deepEqual(await found("alice", "QUI brown"), [], "only the last word is a prefix");
    assert.deepEqual(await found("alice", "quick zebra"), [], "every word must be found");
    assert.deepEqual((await found("alice", "日本語")).map((r) => r.msgid), [cjk.msgid]);
    if (kind === "sqlite") {
      assert.deepEqual((await found("alice", "creme brulee")).map((r) => r.msgid), [creme.msgid]);
      assert.deepEqual((await found("alice", "CREME BRU")).map((r) => r.msgid), [creme.msgid]);
    }
  });

  test("only what the account may read: its channels, channels it could join, its founded ones, its own DMs", async () => {
    assert.deepEqual(names(await found("alice", "zebra")), ["alice-gus", "bobopen", "dave", "gus-alice", "lobby"]);
    assert.deepEqual(names(await found("carol", "zebra")), ["bob-carol", "bobopen", "club", "dave", "keyed", "lobby", "noalice", "registered", "vault"]);
    assert.deepEqual(names(await found("bob", "zebra")), ["bob-carol", "bobopen", "dave", "lobby", "noalice"]);
    assert.deepEqual(names(await found("dave", "zebra")), ["bobopen", "dave", "lobby", "noalice"]);
    // Another account's DM is never found, however it is asked for.
    for (const words of ["between bob and carol", "zebra between", "carol", "bob carol zebra"]) {
      assert.ok(!(await found("alice", words)).some((r) => r.conversation.kind === "direct" && r.text.includes("carol")), words);
      assert.deepEqual(await found("dave", words).then((r) => r.filter((x) => x.conversation.kind === "direct")), [], words);
    }
    // A secret or invite-only channel the account is not in is never found.
    assert.deepEqual(await found("alice", "vault"), []);
    assert.deepEqual(await found("alice", "club"), []);
    assert.deepEqual(await found("bob", "registered secret room"), []);
  });

  test("a direct conversation is named by the other side: an account, or a guest's nick", async () => {
    const forCarol = await found("carol", "between bob");
    assert.deepEqual(forCarol.map((r) => [r.from, r.account, r.conversation]), [["bob", "bob", { kind: "direct", with: "bob" }]]);
    const forBob = await found("bob", "between carol");
    assert.deepEqual(forBob.map((r) => r.conversation), [{ kind: "direct", with: "carol" }]);
    const withGuest = await found("alice", "guest");
    assert.deepEqual(
      withGuest.map((r) => [r.text, r.from, r.account, r.conversation]),
      [
        ["zebra back to the guest", "alice", "alice", { kind: "direct", with: "gus" }],
        ["zebra from a guest", "gus", null, { kind: "direct", with: "gus" }],
      ],
    );
    const channel = await found("alice", "zebra crossing");
    assert.deepEqual(channel.map((r) => r.conversation), [{ kind: "channel", name: "#Lobby" }]);
  });

  test("pages follow `next` newest to oldest, with no gap and no repeat, and end with next: null", async () => {
    const sent: Sent[] = [];
    for (let i = 1; i <= 7; i++) sent.push(await say(irc.alice, "#Lobby", `pagination marker ${i}`));
    const seen: string[] = [];
    let next: string | null = null;
    const sizes: number[] = [];
    do {
      const reply: HttpReply<SearchPageView & Problem> = await search("alice", `q=pagination+marker&limit=3${next === null ? "" : `&before=${encodeURIComponent(next)}`}`);
      assert.equal(reply.status, 200, reply.text);
      sizes.push(reply.body.results.length);
      seen.push(...reply.body.results.map((r) => r.msgid));
      next = reply.body.next;
    } while (next !== null && sizes.length < 10);
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, sent.map((s) => s.msgid).reverse());
    // Default limit: all seven on one page.
    const one = await search("alice", "q=pagination+marker");
    assert.equal(one.body.results.length, 7);
    assert.equal(one.body.next, null);
    // Exactly a page's worth: no empty page is promised.
    const seven = await search("alice", "q=pagination+marker&limit=7");
    assert.equal(seven.body.next, null);
  });

  test("hostile queries are words, never query syntax: no 500, never more than the words find", async () => {
    const zebraAll = names(await found("alice", "zebra"));
    const same = (words: string) => async () => assert.deepEqual(names(await found("alice", words)), zebraAll, words);
    const none = (words: string) => async () => assert.deepEqual(names(await found("alice", words)), [], words);
    const checks = [
      none('"'),
      none('""'),
      none("*"),
      none("NEAR(zebra fox)"),
      none("NEAR(zebra, fox, 5)"),
      none("zebra OR fox"),
      none("zebra NOT lobby"),
      none("text:zebra"),
      none("col:x"),
      none("{text}: zebra"),
      none("')--"),
      none("' OR 1=1 --"),
      none("%"),
      none("_"),
      none("%' OR '%'='"),
      none("🎉"),
      none("\uFFFD"),
      none("zebra & | ! <-> fox"),
      none("a".repeat(200)),
      same("zebra*"),
      same('"zebra"'),
      same("^zebra"),
      same("%zebra%"),
      same("-zebra"),
      same("+zebra"),
      same("zebra\u0000"),
      same("(zebra)"),
      same("zebra\\"),
    ];
    for (const check of checks) await check();
    // Raw bytes a browser would never send: invalid UTF-8, NUL, a lone quote with a space.
    for (const raw of ["%FF%FE", "%00", "%C0%80", "%22%20%22", "%27%3B--", "zebra%00OR%00fox"]) {
      const reply = await search("alice", `q=${raw}`);
      assert.equal(reply.status, 200, `${raw}: ${reply.text}`);
      for (const result of reply.body.results) assert.ok(zebraAll.includes(names([result])[0]!), `${raw}: ${result.text} is readable`);
    }
  });

  test("bad parameters are 400 problems: empty, over 200 characters, too many words, bad limit or cursor", async () => {
    const bad = [
      "q=",
      "q=%20%20%20",
      `q=${"a".repeat(201)}`,
      `q=${"é".repeat(201)}`,
      `q=${Array.from({ length: 17 }, (_, i) => `w${i}`).join("+")}`,
      "",
      "limit=5",
      "q=a&q=b",
      "q=zebra&limit=0",
      "q=zebra&limit=101",
      "q=zebra&limit=ten",
      // Ajv coerces these to ±Infinity and then skips the range checks (found by fuzzing: it was a 500).
      "q=zebra&limit=1e999",
      "q=zebra&limit=-1e999",
      "q=zebra&before=",
      "q=zebra&before=not%20a%20cursor",
      "q=zebra&before=%27%20OR%201%3D1",
      `q=zebra&before=${Buffer.from("1.2.3").toString("base64url")}`,
    ];
    for (const query of bad) assert.ok(isProblem(await search("alice", query), 400), query);
    const tooLong = await search("alice", `q=${"a".repeat(201)}`);
    assert.equal(tooLong.body.type, "urn:cmymessage:problem:invalid-query");
    assert.match(tooLong.body.detail, /200 characters/);
    assert.equal((await search("alice", "q=zebra&before=xyz")).body.type, "urn:cmymessage:problem:invalid-cursor");
    // Surrounding spaces do not count.
    assert.equal((await search("alice", `q=${encodeURIComponent(`  ${"a".repeat(200)}  `)}`)).status, 200);
  });

  test("search needs a valid access token", async () => {
    assert.ok(isProblem(await api.get("/api/v1/search?q=zebra"), 401));
    assert.ok(isProblem(await api.get("/api/v1/search?q=zebra", "not.a.token"), 401));
  });

  test("a message deleted from the store (as REDACT does) is never found again", async () => {
    const doomed = await say(irc.alice, "#Lobby", "ephemeral unicorn sighting");
    const kept = await say(irc.alice, "#Lobby", "a lasting unicorn memory");
    assert.deepEqual((await found("alice", "unicorn")).map((r) => r.msgid), [kept.msgid, doomed.msgid]);
    const store = await openHomeStore(fx.home);
    const repository = new MessagesRepository(store);
    assert.equal(await repository.deleteMessage("#lobby", doomed.msgid), true);
    assert.equal(await repository.deleteMessage("#lobby", doomed.msgid), false, "already gone");
    assert.deepEqual((await found("alice", "unicorn")).map((r) => r.msgid), [kept.msgid]);
    assert.deepEqual(await found("alice", "ephemeral"), []);
    assert.deepEqual(await found("alice", "sighting"), []);
    // A wrong conversation deletes nothing.
    assert.equal(await repository.deleteMessage("#vault", kept.msgid), false);
    assert.deepEqual((await found("alice", "lasting")).map((r) => r.msgid), [kept.msgid]);
  });
});

describe("message search with history turned off", () => {
  test("answers 404 history-disabled (there is nothing to search)", async (t) => {
    const off = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, history: { enabled: false } });
    t.after(() => off.stop());
    const offApi = ApiClient.forPort(off.httpPort);
    const session = await offApi.register("alice");
    const reply = await offApi.get<Problem>("/api/v1/search?q=anything", session.tokens.accessToken);
    assert.ok(isProblem(reply, 404));
    assert.equal(reply.body.type, "urn:cmymessage:problem:history-disabled");
  });

  test("the route is in the OpenAPI document with its result schema", async (t) => {
    const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    t.after(() => server.stop());
    const document = await ApiClient.forPort(server.httpPort).get<{ paths: Record<string, unknown>; components: { schemas: Record<string, { required?: string[] }> } }>("/api/v1/openapi.json");
    assert.ok(document.body.paths["/api/v1/search"]);
    assert.deepEqual(document.body.components.schemas["SearchResult"]?.required, ["msgid", "time", "kind", "from", "account", "text", "conversation"]);
    assert.deepEqual(document.body.components.schemas["SearchPage"]?.required, ["results", "next"]);
  });
});
