/**
 * IRCv3 draft/message-redaction, server side: REDACT deletes a stored message — by its
 * sender's account from any session, by a channel operator in that channel, by an IRC
 * operator — tells the conversation's clients that have the cap (and nobody else), and
 * CHATHISTORY and the HTTP history API never show it again.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { rawSync, setup } from "../support/fixture.js";
import { chathistory, parseLine, say, type Line, type Sent } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import { ApiClient } from "../support/http-client.js";
import { hashPassword } from "../../src/auth/passwords.js";

const CAPS = ["message-tags", "echo-message", "server-time", "batch", "labeled-response", "draft/chathistory", "draft/message-redaction"];
const WITHOUT_CAP = ["message-tags", "echo-message", "server-time", "batch", "labeled-response", "draft/chathistory"];

let labels = 0;

/** Sends a labelled REDACT and resolves with its answer (the REDACT echo, or a FAIL REDACT), label removed. */
async function redact(client: RawClient, args: string): Promise<Line> {
  const label = `r${++labels}`;
  client.send(`@label=${label} REDACT ${args}`);
  const answer = await client.waitFor((line) => line.startsWith(`@label=${label};`) || line.startsWith(`@label=${label} `));
  return parseLine(answer.replace(/^@label=[^; ]+;?/, "@").replace(/^@ /, ""));
}

/** The REDACT line `client` receives for `msgid`. */
async function redactionSeen(client: RawClient, msgid: string): Promise<Line> {
  return parseLine(await client.waitFor((line) => line.includes(` REDACT `) && parseLine(line).params[1] === msgid));
}

/** Whether `client` got no REDACT line up to now (a PING round trip flushes what the server wrote before). */
async function noRedaction(client: RawClient): Promise<boolean> {
  await rawSync(client);
  return !client.lines.some((line) => / REDACT /.test(line));
}

const texts = async (client: RawClient, args: string): Promise<string[]> => {
  const reply = await chathistory(client, args);
  assert.ok(reply.ok, reply.ok ? "" : reply.fail.raw);
  return reply.messages.map((line) => line.params[1] ?? "");
};

forEachDatabase("REDACT", (kind) => {
  const scope = suiteScope();
  let fx: AccountsFixture;
  let api: ApiClient;
  let alice: RawClient;
  let alicePhone: RawClient;
  let bob: RawClient;
  let carol: RawClient;
  let dave: RawClient;
  let oper: RawClient;

  before(async () => {
    const operatorHash = await hashPassword("operator password");
    fx = await openFixture(scope, { http: { listen: ["127.0.0.1:0"] }, irc: { operators: [{ name: "admin", passwordHash: operatorHash }] } }, { kind });
    api = ApiClient.forPort(fx.server.http[0]!.port);
    // carol makes #room (so runs it), the others join it.
    carol = await fx.raw("carol", { caps: CAPS });
    carol.send("JOIN #room");
    await carol.waitFor(/ 366 carol #room /);
    alice = await registerAccount(fx, "alice", "alices-password", { caps: CAPS });
    bob = await registerAccount(fx, "bob", "bobs-password", { caps: CAPS });
    dave = await fx.raw("dave", { caps: WITHOUT_CAP });
    oper = await fx.raw("oper", { caps: CAPS });
    oper.send("OPER admin :operator password");
    await oper.waitFor(/ 381 /);
    for (const c of [alice, bob, dave]) {
      c.send("JOIN #room");
      await c.waitFor(/ 366 \S+ #room /);
    }
    ({ client: alicePhone } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: CAPS }));
    await alicePhone.waitFor(/ 366 alice #room /);
  });
  after(() => scope.run());

  /** A message `from` says in `target`, seen by everyone it reaches. */
  const post = (from: RawClient, target: string, text: string): Promise<Sent> => say(from, target, text);

  test("the sender removes its own channel message: the channel's clients with the cap are told, history forgets it", async () => {
    const kept = await post(alice, "#room", "a keeper");
    const gone = await post(alice, "#room", "an oops");
    for (const c of [bob, carol, dave, alicePhone]) await c.waitFor((l) => l.endsWith(":an oops"));
    for (const c of [alice, alicePhone, bob, carol, dave]) await rawSync(c);
    for (const c of [alice, alicePhone, bob, carol, dave]) c.lines.length = 0;

    const echo = await redact(alice, `#room ${gone.msgid} :typo`);
    assert.equal(echo.command, "REDACT");
    assert.equal(echo.source, "alice!~alice@127.0.0.1");
    assert.deepEqual(echo.params, ["#room", gone.msgid, "typo"]);
    const id = echo.tags.get("msgid");
    assert.ok(id && id !== gone.msgid && echo.tags.has("time"));
    // The channel's other clients with the cap, and alice's other connection; not dave (no cap).
    for (const c of [bob, carol, alicePhone]) {
      const seen = await redactionSeen(c, gone.msgid);
      assert.equal(seen.raw, `@time=${echo.tags.get("time")};msgid=${id} :alice!~alice@127.0.0.1 REDACT #room ${gone.msgid} :typo`);
    }
    assert.ok(await noRedaction(dave));

    assert.deepEqual(await texts(bob, `AROUND #room msgid=${gone.msgid} 5`), []);
    const latest = await texts(bob, "LATEST #room * 20");
    assert.ok(latest.includes("a keeper") && !latest.includes("an oops"));
    const token = (await api.login("bob", "bobs-password")).body.tokens.accessToken;
    const page = await api.channelMessages("#room", token);
    assert.equal(page.status, 200, page.text);
    assert.ok(page.body.messages.some((m) => m.msgid === kept.msgid));
    assert.ok(!page.body.messages.some((m) => m.msgid === gone.msgid));

    // Gone is gone: a second REDACT finds nothing.
    assert.match((await redact(alice, `#room ${gone.msgid}`)).raw, / FAIL REDACT UNKNOWN_MSGID #room \S+ :/);
  });

  test("another connection of the sender's account may remove it too; without a reason there is no reason", async () => {
    const sent = await post(alice, "#room", "from the desk");
    await bob.waitFor((l) => l.endsWith(":from the desk"));
    const echo = await redact(alicePhone, `#room ${sent.msgid}`);
    assert.deepEqual(echo.params, ["#room", sent.msgid]);
    assert.match((await redactionSeen(bob, sent.msgid)).raw, new RegExp(`REDACT #room ${sent.msgid}$`));
    await redactionSeen(alice, sent.msgid);
  });

  test("someone else's message: REDACT_FORBIDDEN for a member; allowed for the channel operator and an IRC operator", async () => {
    const first = await post(bob, "#room", "bob's first");
    const second = await post(bob, "#room", "bob's second");
    const refused = await redact(alice, `#room ${first.msgid}`);
    assert.match(refused.raw, new RegExp(`^:cmymessage\\.local FAIL REDACT REDACT_FORBIDDEN #room ${first.msgid} :`));
    assert.ok((await texts(bob, "LATEST #room * 50")).includes("bob's first"));

    // carol made #room, so she is its operator (a guest, and that is enough).
    const byOp = await redact(carol, `#room ${first.msgid} :moderated`);
    assert.equal(byOp.command, "REDACT");
    assert.equal((await redactionSeen(bob, first.msgid)).source, "carol!~carol@127.0.0.1");
    // The IRC operator is not even in the channel (which is open, so readable).
    const byOper = await redact(oper, `#ROOM ${second.msgid}`);
    assert.equal(byOper.command, "REDACT");
    assert.equal((await redactionSeen(bob, second.msgid)).source, "oper!~oper@127.0.0.1");
    const latest = await texts(bob, "LATEST #room * 50");
    assert.ok(!latest.includes("bob's first") && !latest.includes("bob's second"));
  });

  test("whoever re-creates an emptied channel runs it from then on: REDACT_FORBIDDEN for what was said before, allowed for what is said after; the sender still may", async () => {
    alice.send("JOIN #secretplans");
    await alice.waitFor(/ 366 alice #secretplans /);
    const before = await post(alice, "#secretplans", "the plan");
    alice.send("PART #secretplans");
    await alice.waitFor(/:alice!\S+ PART #secretplans/);

    // The channel is gone; a guest makes it again, and so gets +o in it.
    const mallory = await fx.raw("mallory", { caps: CAPS });
    mallory.send("JOIN #secretplans");
    await mallory.waitFor(/ 353 mallory [=*@] #secretplans :@mallory$/);
    assert.ok((await texts(mallory, "LATEST #secretplans * 10")).includes("the plan"), "the old life's history is readable");
    const refused = await redact(mallory, `#secretplans ${before.msgid} :gone`);
    assert.match(refused.raw, new RegExp(`^:cmymessage\\.local FAIL REDACT REDACT_FORBIDDEN #secretplans ${before.msgid} :`));
    assert.ok((await texts(mallory, "LATEST #secretplans * 10")).includes("the plan"), "the message is still there");

    // What is said in the new life is the new operator's to moderate.
    bob.send("JOIN #secretplans");
    await bob.waitFor(/ 366 bob #secretplans /);
    const after = await post(bob, "#secretplans", "said after");
    assert.equal((await redact(mallory, `#secretplans ${after.msgid}`)).command, "REDACT");

    // The sender may always remove its own message.
    alice.send("JOIN #secretplans");
    await alice.waitFor(/ 366 alice #secretplans /);
    assert.equal((await redact(alice, `#secretplans ${before.msgid}`)).command, "REDACT");
    assert.deepEqual(await texts(mallory, "LATEST #secretplans * 10"), []);
    for (const c of [alice, bob, mallory]) c.send("PART #secretplans");
  });

  test("a registered channel is one channel across lives: its operator removes what was said before it last emptied", async () => {
    alice.send("JOIN #keptplans");
    await alice.waitFor(/ 366 alice #keptplans /);
    alice.send("PRIVMSG ChanServ :REGISTER #keptplans");
    await alice.waitFor(/ NOTICE alice :.*#keptplans.*registered/i);
    bob.send("JOIN #keptplans");
    await bob.waitFor(/ 366 bob #keptplans /);
    const earlier = await post(bob, "#keptplans", "from the last life");
    for (const [c, nick] of [[alice, "alice"], [bob, "bob"]] as const) {
      c.send("PART #keptplans");
      await c.waitFor(new RegExp(`:${nick}!\\S+ PART #keptplans`));
    }

    // The founder gets +o again on joining the re-created channel.
    alice.send("JOIN #keptplans");
    await alice.waitFor(/ 353 alice [=*@] #keptplans :@alice$/);
    assert.equal((await redact(alice, `#keptplans ${earlier.msgid} :moderated`)).command, "REDACT");
    assert.deepEqual(await texts(alice, "LATEST #keptplans * 10"), []);
    alice.send("PART #keptplans");
  });

  test("unknown ids, messages of other conversations and conversations one cannot read", async () => {
    carol.send("JOIN #secret");
    await carol.waitFor(/ 366 carol #secret /);
    carol.send("MODE #secret +s");
    await carol.waitFor(/ MODE #secret \+s/);
    const hidden = await post(carol, "#secret", "hidden");
    const elsewhere = await post(alice, "#general", "in another channel");

    assert.match((await redact(alice, "#room no-such-id")).raw, / FAIL REDACT UNKNOWN_MSGID #room no-such-id :/);
    // A real id, but not of #room: unknown there.
    assert.match((await redact(alice, `#room ${elsewhere.msgid}`)).raw, new RegExp(`FAIL REDACT UNKNOWN_MSGID #room ${elsewhere.msgid} :`));
    // A channel alice cannot read looks like one she cannot delete from, whatever the id.
    assert.match((await redact(alice, `#secret ${hidden.msgid}`)).raw, / FAIL REDACT INVALID_TARGET #secret :/);
    assert.match((await redact(alice, "#nowhere x")).raw, / FAIL REDACT INVALID_TARGET #nowhere :/);
    assert.match((await redact(alice, "bad,target x")).raw, / FAIL REDACT INVALID_TARGET bad,target :/);
    // A guest has no direct history, so nothing there to delete.
    assert.match((await redact(dave, "alice x")).raw, / FAIL REDACT INVALID_TARGET alice :/);
    assert.ok((await texts(carol, "LATEST #secret * 5")).includes("hidden"));
  });

  test("a direct message: the sender removes it, both parties' clients are told; the other party may not, and nobody else finds it", async () => {
    await rawSync(carol);
    carol.lines.length = 0;
    const dm = await post(alice, "bob", "psst");
    await bob.waitFor((l) => l.endsWith("PRIVMSG bob :psst"));
    await alicePhone.waitFor((l) => l.endsWith("PRIVMSG bob :psst"));
    const keep = await post(bob, "alice", "keep this");
    await alice.waitFor((l) => l.endsWith("PRIVMSG alice :keep this"));

    assert.match((await redact(bob, `alice ${dm.msgid}`)).raw, / FAIL REDACT REDACT_FORBIDDEN alice \S+ :/);
    // carol (another account) naming alice finds her own conversation with alice, where it is not.
    const carolAccount = await registerAccount(fx, "carla", "carlas-password", { caps: CAPS });
    assert.match((await redact(carolAccount, `alice ${dm.msgid}`)).raw, / FAIL REDACT UNKNOWN_MSGID alice \S+ :/);
    assert.match((await redact(carolAccount, `bob ${keep.msgid}`)).raw, / FAIL REDACT UNKNOWN_MSGID bob \S+ :/);

    const echo = await redact(alice, `bob ${dm.msgid} :wrong window`);
    assert.deepEqual(echo.params, ["bob", dm.msgid, "wrong window"]);
    assert.equal((await redactionSeen(bob, dm.msgid)).raw.replace(/^@\S+ /, ""), `:alice!~alice@127.0.0.1 REDACT bob ${dm.msgid} :wrong window`);
    await redactionSeen(alicePhone, dm.msgid);
    assert.ok(await noRedaction(carol));

    assert.deepEqual(await texts(bob, "LATEST alice * 10"), ["keep this"]);
    const token = (await api.login("bob", "bobs-password")).body.tokens.accessToken;
    const page = await api.dmMessages("alice", token);
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(
      page.body.messages.map((m) => m.text),
      ["keep this"],
    );
  });
});

test("with history off nothing can be removed: whose a message was cannot be told", async (t) => {
  const fx = await setup(t, { history: { enabled: false } });
  const alice = await fx.raw("alice", CAPS);
  const sent = await say(alice, "#general", "not stored");
  assert.match((await redact(alice, `#general ${sent.msgid}`)).raw, / FAIL REDACT UNKNOWN_MSGID #general \S+ :/);
});
