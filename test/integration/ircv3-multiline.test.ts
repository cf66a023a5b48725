/**
 * IRCv3 draft/multiline, server side: a client's BATCH of PRIVMSG lines becomes one
 * message (one msgid, stored once, text with "\n"), delivered as a draft/multiline
 * batch to clients with the cap and as separate lines to the others (as Ergo does),
 * echoed and replayed by CHATHISTORY the same way; limits and errors per the spec.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setup, rawSync, type Fixture } from "../support/fixture.js";
import { forEachDatabase, openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { chathistory, parseLine, type Line } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";
import { ApiClient } from "../support/http-client.js";

const MULTILINE = ["message-tags", "batch", "echo-message", "server-time", "labeled-response", "draft/multiline"];
const PLAIN_TAGS = ["message-tags", "batch", "echo-message", "server-time"];
const CONCAT = "draft/multiline-concat";

type BatchLine = string | { readonly concat: string } | { readonly raw: string };

let refCounter = 0;

/** Sends `BATCH +ref draft/multiline target`, the lines (a `concat` one tagged draft/multiline-concat), `BATCH -ref`. */
function sendBatch(client: RawClient, target: string, lines: readonly BatchLine[], options: { label?: string; tags?: string; command?: string; close?: boolean } = {}): string {
  const ref = `b${++refCounter}`;
  const openerTags = [options.label && `label=${options.label}`, options.tags].filter(Boolean).join(";");
  client.send(`${openerTags ? `@${openerTags} ` : ""}BATCH +${ref} draft/multiline ${target}`);
  for (const line of lines) {
    if (typeof line === "string") client.send(`@batch=${ref} ${options.command ?? "PRIVMSG"} ${target} :${line}`);
    else if ("concat" in line) client.send(`@batch=${ref};${CONCAT} ${options.command ?? "PRIVMSG"} ${target} :${line.concat}`);
    else client.send(line.raw.replace("<ref>", ref));
  }
  if (options.close !== false) client.send(`BATCH -${ref}`);
  return ref;
}

/** Waits for a line matching `until`, then returns (and removes) every line received up to it, parsed. */
async function linesUntil(client: RawClient, until: RegExp): Promise<Line[]> {
  const last = await client.waitFor(until);
  const taken = client.lines.splice(0);
  return [...taken, last].map(parseLine);
}

/** The parts of a received draft/multiline batch: opener, the lines in it, closer. */
function multilineBatch(lines: readonly Line[]): { opener: Line; inner: Line[]; closer: Line } {
  const opener = lines.find((l) => l.command === "BATCH" && l.params[1] === "draft/multiline");
  assert.ok(opener, `no draft/multiline batch in:\n${lines.map((l) => l.raw).join("\n")}`);
  const ref = opener.params[0]!.slice(1);
  const closer = lines.find((l) => l.command === "BATCH" && l.params[0] === `-${ref}`);
  assert.ok(closer, `batch ${ref} not closed`);
  return { opener, inner: lines.filter((l) => l.tags.get("batch") === ref), closer };
}

/** The text the lines of a multiline batch make: joined by "\n", a concat line joined to the previous as is. */
function joined(inner: readonly Line[]): string {
  let text = "";
  inner.forEach((line, i) => {
    const piece = line.params[1] ?? "";
    text += i === 0 || line.tags.has(CONCAT) ? piece : `\n${piece}`;
  });
  return text;
}

const privmsgs = (lines: readonly Line[]): Line[] => lines.filter((l) => l.command === "PRIVMSG" || l.command === "NOTICE");

test("CAP LS advertises the limits; max-bytes is never above chat.maxMessageBytes", async (t) => {
  const fx = await setup(t);
  const client = fx.track(await fx.rawConnect());
  client.send("CAP LS 302");
  assert.match(await client.waitFor(/ CAP \* LS /), /(^| |:)draft\/multiline=max-bytes=4096,max-lines=100( |$)/);

  const clamped = await setup(t, { chat: { maxMessageBytes: 3000 }, irc: { multiline: { maxBytes: 10000, maxLines: 7 } } });
  const other = clamped.track(await clamped.rawConnect());
  other.send("CAP LS 302");
  assert.match(await other.waitFor(/ CAP \* LS /), /(^| |:)draft\/multiline=max-bytes=3000,max-lines=7( |$)/);
});

test("one message for everyone: a multiline batch for clients with the cap, separate lines for the others", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice", MULTILINE);
  const bob = await fx.raw("bob", MULTILINE);
  const carol = await fx.raw("carol", PLAIN_TAGS);
  const dave = await fx.raw("dave");
  const erin = await fx.connect("erin");
  for (const c of [alice, bob, carol, dave]) await rawSync(c);
  for (const c of [alice, bob, carol, dave]) c.lines.length = 0;

  sendBatch(alice, "#general", ["hello", "", "how is ", { concat: "everyone?" }, "bye"], { label: "xyz", tags: "+draft/reply=abc" });

  // The echo: the label on the opener only, msgid and time there too, not on the lines.
  const echo = multilineBatch(await linesUntil(alice, / BATCH -/));
  assert.equal(echo.opener.tags.get("label"), "xyz");
  assert.equal(echo.opener.source, "alice!~alice@127.0.0.1");
  assert.deepEqual(echo.opener.params, [echo.opener.params[0], "draft/multiline", "#general"]);
  const msgid = echo.opener.tags.get("msgid");
  const time = echo.opener.tags.get("time");
  assert.ok(msgid && time);
  assert.equal(echo.opener.tags.get("+draft/reply"), "abc");
  for (const line of echo.inner) {
    assert.equal(line.command, "PRIVMSG");
    assert.ok(!line.tags.has("msgid") && !line.tags.has("time") && !line.tags.has("label"), line.raw);
  }
  assert.equal(joined(echo.inner), "hello\n\nhow is everyone?\nbye");

  // Another client with the cap: the same batch, blank line included.
  const relay = multilineBatch(await linesUntil(bob, / BATCH -/));
  assert.equal(relay.opener.tags.get("msgid"), msgid);
  assert.equal(relay.opener.tags.get("time"), time);
  assert.equal(relay.opener.tags.get("+draft/reply"), "abc");
  assert.ok(!relay.opener.tags.has("label"));
  assert.deepEqual(
    relay.inner.map((l) => l.params),
    [
      ["#general", "hello"],
      ["#general", ""],
      ["#general", "how is everyone?"],
      ["#general", "bye"],
    ],
  );

  // Without the cap: one PRIVMSG per line, no blank line, the msgid on the first only, time and client tags on all.
  const fallback = privmsgs(await linesUntil(carol, /PRIVMSG #general :bye$/));
  assert.deepEqual(
    fallback.map((l) => l.params[1]),
    ["hello", "how is everyone?", "bye"],
  );
  assert.deepEqual(
    fallback.map((l) => l.tags.get("msgid")),
    [msgid, undefined, undefined],
  );
  for (const line of fallback) {
    assert.equal(line.tags.get("time"), time);
    assert.equal(line.tags.get("+draft/reply"), "abc");
    assert.ok(!line.tags.has("batch") && !line.tags.has(CONCAT));
  }
  // A client without any cap, and irc-framework: plain lines.
  assert.deepEqual(
    privmsgs(await linesUntil(dave, /PRIVMSG #general :bye$/)).map((l) => l.raw),
    ["hello", "how is everyone?", "bye"].map((text) => `:alice!~alice@127.0.0.1 PRIVMSG #general :${text}`),
  );
  await erin.waitFor("privmsg", (e) => e.message === "bye");
  assert.deepEqual(
    [...erin.events("privmsg")].map((e) => e.message),
    ["hello", "how is everyone?"],
  );
});

test("lines too long for 512 bytes: split with draft/multiline-concat for the cap, into more lines for the others; NOTICE batches too", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice", MULTILINE);
  const bob = await fx.raw("bob", MULTILINE);
  const carol = await fx.raw("carol", PLAIN_TAGS);
  for (const c of [alice, bob, carol]) await rawSync(c);
  for (const c of [alice, bob, carol]) c.lines.length = 0;
  const word = (n: number): string => `w${String(n).padStart(3, "0")} `;
  const long = Array.from({ length: 250 }, (_, i) => word(i)).join("").trimEnd();
  assert.ok(Buffer.byteLength(long) > 1000);
  // The client splits its long line with concat lines, as the spec recommends.
  sendBatch(alice, "#general", ["first", long.slice(0, 400), { concat: long.slice(400, 800) }, { concat: long.slice(800) }, "last"]);
  const relay = multilineBatch(await linesUntil(bob, / BATCH -/));
  assert.equal(joined(relay.inner), `first\n${long}\nlast`);
  assert.ok(relay.inner.length > 4);
  for (const line of relay.inner) assert.ok(Buffer.byteLength(line.raw.slice(line.raw.indexOf(" ") + 1)) <= 510, line.raw);
  assert.ok(relay.inner.some((l) => l.tags.has(CONCAT)));

  const fallback = privmsgs(await linesUntil(carol, /PRIVMSG #general :last$/));
  assert.equal(fallback[0]!.params[1], "first");
  assert.equal(
    fallback
      .slice(1, -1)
      .map((l) => l.params[1])
      .join(""),
    long,
  );
  assert.ok(fallback.length > 4);

  sendBatch(alice, "#general", ["notice one", "notice two"], { command: "NOTICE" });
  const notice = multilineBatch(await linesUntil(bob, / BATCH -/));
  assert.deepEqual(
    notice.inner.map((l) => l.command),
    ["NOTICE", "NOTICE"],
  );
  assert.deepEqual(
    privmsgs(await linesUntil(carol, /NOTICE #general :notice two$/)).map((l) => `${l.command} ${l.params[1]}`),
    ["NOTICE notice one", "NOTICE notice two"],
  );
});

/** Sends a sentinel line from `from` and returns what `to` received before it (nothing from a refused batch, say). */
async function receivedBefore(from: RawClient, to: RawClient, channel = "#general"): Promise<Line[]> {
  const sentinel = `sentinel ${++refCounter}`;
  from.send(`PRIVMSG ${channel} :${sentinel}`);
  const lines = await linesUntil(to, new RegExp(`PRIVMSG ${channel} :${sentinel}$`));
  return lines.filter((line) => !line.params[1]?.startsWith("sentinel "));
}

test("errors per the spec: FAIL BATCH, nothing delivered, the rest of a refused batch swallowed", async (t) => {
  const fx = await setup(t, { irc: { multiline: { maxLines: 3, maxBytes: 40 } } });
  const alice = await fx.raw("alice", MULTILINE);
  const bob = await fx.raw("bob", MULTILINE);
  const carol = await fx.raw("carol");
  alice.send("JOIN #other");
  await alice.waitFor(/ 366 alice #other /);
  for (const c of [alice, bob, carol]) await rawSync(c);
  for (const c of [alice, bob, carol]) c.lines.length = 0;

  const cases: Array<{ lines: BatchLine[]; fail: RegExp; target?: string; label?: string }> = [
    { lines: ["1", "2", "3", "4", "5"], fail: / FAIL BATCH MULTILINE_MAX_LINES 3 :/ },
    { lines: ["x".repeat(30), "y".repeat(10)], fail: / FAIL BATCH MULTILINE_MAX_BYTES 40 :/ },
    { lines: ["fine", { raw: "@batch=<ref> PRIVMSG #other :wrong target" }, "more"], fail: / FAIL BATCH MULTILINE_INVALID_TARGET #general #other :/ },
    { lines: ["fine", { raw: "@batch=zzz PRIVMSG #general :other batch" }], fail: / FAIL BATCH MULTILINE_INVALID :/ },
    { lines: ["fine", { raw: "TOPIC #general :not a message" }], fail: / FAIL BATCH MULTILINE_INVALID :/ },
    { lines: ["fine", { raw: "@batch=<ref> NOTICE #general :mixed" }], fail: / FAIL BATCH MULTILINE_INVALID :/ },
    { lines: ["fine", { concat: "" }], fail: / FAIL BATCH MULTILINE_INVALID :/ },
    { lines: ["", ""], fail: / FAIL BATCH MULTILINE_INVALID :/, label: "blank" },
    { lines: [], fail: / FAIL BATCH MULTILINE_INVALID :/ },
    { lines: ["to a service"], fail: / FAIL BATCH MULTILINE_INVALID_TARGET NickServ NickServ :/, target: "NickServ" },
  ];
  for (const c of cases) {
    sendBatch(alice, c.target ?? "#general", c.lines, { ...(c.label && { label: c.label }) });
    const fail = await alice.waitFor(/ FAIL BATCH /);
    assert.match(fail, c.fail);
    if (c.label) assert.match(fail, new RegExp(`^@label=${c.label} `));
    // Nothing reached anyone: not the batch, not its lines one by one.
    for (const other of [bob, carol]) assert.deepEqual(privmsgs(await receivedBefore(alice, other)), [], JSON.stringify(c.lines));
    await rawSync(alice);
    assert.deepEqual(
      alice.lines.filter((l) => / FAIL | PRIVMSG | NOTICE /.test(l) && !/sentinel/.test(l)),
      [],
      `only one FAIL for ${JSON.stringify(c.lines)}`,
    );
    alice.lines.length = 0;
  }

  // BATCH -ref of no open batch, and a client batch of another type.
  alice.send("BATCH -nothing");
  assert.match(await alice.waitFor(/ FAIL BATCH /), / FAIL BATCH MULTILINE_INVALID :/);
  alice.send("BATCH +x chathistory #general");
  alice.send("@batch=x PRIVMSG #general :swallowed");
  alice.send("BATCH -x");
  assert.match(await alice.waitFor(/ FAIL BATCH /), / FAIL BATCH MULTILINE_INVALID :/);
  assert.deepEqual(privmsgs(await receivedBefore(alice, bob)), []);
});

test("a client without the cap cannot open a batch; its lines are not delivered one by one", async (t) => {
  const fx = await setup(t);
  const alice = await fx.raw("alice", PLAIN_TAGS);
  const bob = await fx.raw("bob", MULTILINE);
  await rawSync(bob);
  bob.lines.length = 0;
  sendBatch(alice, "#general", ["one", "two"]);
  assert.match(await alice.waitFor(/ FAIL BATCH /), / FAIL BATCH MULTILINE_INVALID :/);
  assert.deepEqual(privmsgs(await receivedBefore(alice, bob)), []);
});

test("a batch never closed is dropped by the connection sweep with FAIL BATCH MULTILINE_INVALID", async (t) => {
  const fx = await setup(t, { irc: { multiline: { timeoutSeconds: 0.3 } } });
  const alice = await fx.raw("alice", MULTILINE);
  const bob = await fx.raw("bob", MULTILINE);
  await rawSync(bob);
  bob.lines.length = 0;
  const ref = sendBatch(alice, "#general", ["never", "closed"], { close: false });
  assert.match(await alice.waitFor(/ FAIL BATCH /), / FAIL BATCH MULTILINE_INVALID :.*not closed/);
  // Its end, now, changes nothing, and the client can talk again.
  alice.send(`BATCH -${ref}`);
  assert.deepEqual(privmsgs(await receivedBefore(alice, bob)), []);
});

test("with flood control on, a 100-line batch sent at once is delivered whole and nobody is disconnected", async (t) => {
  const fx = await setup(t, { irc: { flood: { enabled: true, burst: 8, linesPerSecond: 2, maxQueuedLines: 40 } } });
  const alice = await fx.raw("alice", MULTILINE);
  const bob = await fx.raw("bob", MULTILINE);
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
  // In one write, after a labelled message (stored before its reply, so every line of the
  // batch queues behind it): more lines than flood.maxQueuedLines wait at once.
  const ref = "paste";
  alice.sendBytes(
    ["@label=first PRIVMSG #general :before the paste", `BATCH +${ref} draft/multiline #general`, ...lines.map((line) => `@batch=${ref} PRIVMSG #general :${line}`), `BATCH -${ref}`]
      .map((line) => `${line}\r\n`)
      .join(""),
  );
  const relay = multilineBatch(await linesUntil(bob, / BATCH -/));
  assert.equal(joined(relay.inner), lines.join("\n"));
  assert.ok(!alice.isClosed);
});

test("with flood control on, an open batch does not carry other lines past it: PINGs sent inside one wait their turn", async (t) => {
  const fx = await setup(t, { irc: { flood: { enabled: true, burst: 8, linesPerSecond: 2, maxQueuedLines: 40 } } });
  const alice = await fx.raw("alice", MULTILINE);
  // The batch's own lines are billed when it ends; a PING is not one of them, open batch or not.
  alice.sendBytes(["BATCH +open draft/multiline #general", ...Array.from({ length: 20 }, (_, i) => `PING p${i}`)].map((line) => `${line}\r\n`).join(""));
  await alice.waitFor(/ PONG \S+ :?p0$/);
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The first PONG was taken by waitFor; these are the ones after it.
  const answered = 1 + alice.lines.filter((l) => / PONG /.test(l)).length;
  // The burst (8 lines, the opener one of them) answers at once; the rest at 2 a second.
  assert.ok(answered <= 10, `${answered} of 20 PINGs answered within 300 ms of the first: not throttled`);
  await alice.waitFor(/ PONG \S+ :?p9$/, 5000);
});

/** A history suite: the message is stored once and comes back the way it went out. */
forEachDatabase("draft/multiline and history", (kind) => {
  const scope = suiteScope();
  let fx: AccountsFixture;
  let api: ApiClient;
  let alice: RawClient;
  let reader: RawClient;
  let plainReader: RawClient;
  let msgid = "";
  const TEXT = "first line\n\nthird line, after a blank one";

  before(async () => {
    fx = await openFixture(scope, { http: { listen: ["127.0.0.1:0"] } }, { kind });
    api = ApiClient.forPort(fx.server.http[0]!.port);
    alice = await registerAccount(fx, "alice", "alices-password", { caps: [...MULTILINE, "draft/chathistory"] });
    reader = await fx.raw("reader", { caps: [...MULTILINE, "draft/chathistory"] });
    plainReader = await fx.raw("plainreader", { caps: [...PLAIN_TAGS, "draft/chathistory"] });
    await rawSync(alice);
    alice.lines.length = 0;
    sendBatch(alice, "#general", ["first line", "", "third line, ", { concat: "after a blank one" }]);
    msgid = multilineBatch(await linesUntil(alice, / BATCH -/)).opener.tags.get("msgid")!;
  });
  after(() => scope.run());

  test("CHATHISTORY replays it as a draft/multiline batch nested in the chathistory batch", async () => {
    const lines = await (async () => {
      reader.lines.length = 0;
      reader.send("CHATHISTORY LATEST #general * 10");
      return linesUntil(reader, /^:\S+ BATCH -\S+$/);
    })();
    const outer = lines.find((l) => l.command === "BATCH" && l.params[1] === "chathistory")!;
    const outerRef = outer.params[0]!.slice(1);
    const inner = multilineBatch(lines);
    assert.equal(inner.opener.tags.get("batch"), outerRef);
    assert.equal(inner.closer.tags.get("batch"), outerRef);
    assert.equal(inner.opener.tags.get("msgid"), msgid);
    assert.equal(joined(inner.inner), TEXT);
  });

  test("a client without the cap gets the lines in the chathistory batch, the msgid on the first", async () => {
    const reply = await chathistory(plainReader, "LATEST #general * 10");
    assert.ok(reply.ok);
    const mine = reply.messages.filter((l) => l.source.startsWith("alice!"));
    assert.deepEqual(
      mine.map((l) => l.params[1]),
      ["first line", "third line, after a blank one"],
    );
    assert.deepEqual(
      mine.map((l) => l.tags.get("msgid")),
      [msgid, undefined],
    );
  });

  test("the HTTP history API returns one message with the line breaks", async () => {
    const token = (await api.login("alice", "alices-password")).body.tokens.accessToken;
    const page = await api.channelMessages("#general", token);
    assert.equal(page.status, 200, page.text);
    const stored = page.body.messages.filter((m) => m.msgid === msgid);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.text, TEXT);
  });

  test("a direct message: the recipient and the sender's other connection get it; an offline account reads it later", async () => {
    const bob = await registerAccount(fx, "bob", "bobs-password", { caps: [...MULTILINE, "draft/chathistory"] });
    const { client: alicePhone } = await connectWithPlain(fx, "alice", "alice", "alices-password", { caps: [...MULTILINE] });
    for (const c of [bob, alicePhone, alice]) await rawSync(c);
    for (const c of [bob, alicePhone, alice]) c.lines.length = 0;
    sendBatch(alice, "bob", ["dm one", "dm two"]);
    for (const c of [bob, alicePhone]) {
      const got = multilineBatch(await linesUntil(c, / BATCH -/));
      assert.equal(got.opener.params[2], "bob");
      assert.equal(joined(got.inner), "dm one\ndm two");
    }
    await registerAccount(fx, "carla", "carlas-password", { quit: true });
    alice.lines.length = 0;
    sendBatch(alice, "carla", ["while you", "were away"]);
    const offlineId = multilineBatch(await linesUntil(alice, / BATCH -/)).opener.tags.get("msgid");
    const { client: carla } = await connectWithPlain(fx, "carla", "carla", "carlas-password", { caps: [...MULTILINE, "draft/chathistory"] });
    carla.lines.length = 0;
    carla.send("CHATHISTORY LATEST alice * 10");
    const replay = multilineBatch(await linesUntil(carla, /^:\S+ BATCH -\S+$/));
    assert.equal(replay.opener.tags.get("msgid"), offlineId);
    assert.equal(joined(replay.inner), "while you\nwere away");
  });
});
