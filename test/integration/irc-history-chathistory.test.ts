/**
 * IRCv3 draft/chathistory on channels: every message is stored before it is
 * delivered; LATEST, BEFORE, AFTER, AROUND, BETWEEN (by timestamp= and msgid=)
 * and TARGETS; ascending order, limits, paging; who may read what.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { forEachDatabase, openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { waitFor } from "../support/wait.js";
import type { RawClient } from "../support/raw-client.js";
import { chathistory, HISTORY_CAPS, say, SERVER_TIME, texts, type HistoryReply, type Sent } from "../support/irc-lines.js";
import { registerAccount } from "../support/sasl.js";

const CAPS = [...HISTORY_CAPS, "account-tag"];

forEachDatabase("CHATHISTORY on a channel", (kind) => {
  const scope = suiteScope();
  let fx: AccountsFixture;
  let poster: RawClient;
  let reader: RawClient;
  let outsider: RawClient;
  /** m01…m12 as the server echoed them, oldest first. */
  const sent: Sent[] = [];
  /** For each message: what LATEST * 1 returned right after the reader received it. */
  const latestOnDelivery: Array<{ expected: string; got: string[] }> = [];
  let firstTime = "";

  before(async () => {
    fx = await openFixture(scope, {}, { kind });
    poster = await registerAccount(fx, "poster", "posters-password", { caps: CAPS });
    reader = await fx.raw("reader", { caps: CAPS });
    outsider = await fx.raw("outsider", { caps: CAPS });
    for (const c of [poster, reader]) {
      c.send("JOIN #lounge");
      await c.waitFor(/ 366 \S+ #lounge /);
    }
    firstTime = new Date(Date.now() - 1000).toISOString();
    for (let i = 1; i <= 12; i++) {
      const text = `m${String(i).padStart(2, "0")}`;
      const message = await say(poster, "#lounge", text);
      sent.push(message);
      await reader.waitFor((l) => l.endsWith(` PRIVMSG #lounge :${text}`));
      latestOnDelivery.push({ expected: text, got: texts(await chathistory(reader, "LATEST #lounge * 1")) });
      // Distinct milliseconds, so a timestamp= reference names exactly one message: the
      // server stamped this one by now, so once the clock moves on the next one differs.
      const stamped = Date.now();
      await waitFor(() => Date.now() > stamped, { intervalMs: 1, what: "the next millisecond" });
    }
  });
  after(() => scope.run());

  const m = (n: number): Sent => sent[n - 1]!;
  const range = (from: number, to: number): string[] => sent.slice(from - 1, to).map((s) => s.text);
  const history = (args: string): Promise<HistoryReply> => chathistory(reader, args);

  test("each message is already in history when a member receives it", () => {
    assert.deepEqual(
      latestOnDelivery.map((d) => d.got),
      latestOnDelivery.map((d) => [d.expected]),
    );
  });

  test("LATEST: the newest messages in ascending order, in a chathistory batch with time, msgid and account tags", async () => {
    const latest = await history("LATEST #lounge * 5");
    assert.ok(latest.ok);
    assert.equal(latest.type, "chathistory");
    assert.deepEqual(latest.batchParams, ["#lounge"]);
    assert.deepEqual(texts(latest), range(8, 12));
    for (const [i, line] of latest.messages.entries()) {
      assert.equal(line.command, "PRIVMSG");
      assert.equal(line.source, "poster!~poster@127.0.0.1");
      assert.equal(line.params[0], "#lounge");
      assert.match(line.tags.get("time") ?? "", SERVER_TIME);
      assert.equal(line.tags.get("msgid"), m(8 + i).msgid);
      assert.equal(line.tags.get("time"), m(8 + i).time);
      assert.equal(line.tags.get("account"), "poster");
    }
    assert.deepEqual(texts(await history("LATEST #lounge * 100")), range(1, 12));
    // With a reference: only what came after it.
    assert.deepEqual(texts(await history(`LATEST #lounge msgid=${m(9).msgid} 10`)), range(10, 12));
    assert.deepEqual(texts(await history(`LATEST #lounge timestamp=${m(9).time} 10`)), range(10, 12));
    assert.deepEqual(texts(await history(`LATEST #lounge timestamp=${m(9).time} 2`)), range(11, 12));
    // Channel names are case-insensitive.
    assert.deepEqual(texts(await history("LATEST #LOUNGE * 2")), range(11, 12));
  });

  test("BEFORE and AFTER, by msgid and by timestamp: exclusive, ascending, limited from the reference", async () => {
    assert.deepEqual(texts(await history(`BEFORE #lounge msgid=${m(6).msgid} 3`)), range(3, 5));
    assert.deepEqual(texts(await history(`BEFORE #lounge timestamp=${m(6).time} 3`)), range(3, 5));
    assert.deepEqual(texts(await history(`AFTER #lounge msgid=${m(6).msgid} 3`)), range(7, 9));
    assert.deepEqual(texts(await history(`AFTER #lounge timestamp=${m(6).time} 3`)), range(7, 9));
    assert.deepEqual(texts(await history(`BEFORE #lounge msgid=${m(1).msgid} 10`)), [], "nothing before the first: an empty batch");
    assert.deepEqual(texts(await history(`AFTER #lounge msgid=${m(12).msgid} 10`)), []);
    assert.deepEqual(texts(await history(`AFTER #lounge timestamp=${firstTime} 2`)), range(1, 2));
  });

  test("AROUND: the limit messages centred on the reference, the reference included, ascending", async () => {
    assert.deepEqual(texts(await history(`AROUND #lounge msgid=${m(6).msgid} 4`)), range(4, 7));
    assert.deepEqual(texts(await history(`AROUND #lounge msgid=${m(6).msgid} 3`)), range(5, 7));
    assert.deepEqual(texts(await history(`AROUND #lounge msgid=${m(6).msgid} 1`)), range(6, 6));
    assert.deepEqual(texts(await history(`AROUND #lounge timestamp=${m(6).time} 4`)), range(4, 7));
    assert.deepEqual(texts(await history(`AROUND #lounge timestamp=${m(6).time} 3`)), range(5, 7));
    // Near an end, the other side makes up the count.
    assert.deepEqual(texts(await history(`AROUND #lounge msgid=${m(1).msgid} 4`)), range(1, 4));
    assert.deepEqual(texts(await history(`AROUND #lounge msgid=${m(12).msgid} 4`)), range(10, 12));
    assert.deepEqual(texts(await history(`AROUND #lounge msgid=unknown-id 4`)), []);
  });

  test("BETWEEN, first reference older: counted from the first, ascending (timestamp= and msgid=)", async () => {
    assert.deepEqual(texts(await history(`BETWEEN #lounge msgid=${m(2).msgid} msgid=${m(7).msgid} 10`)), range(3, 6));
    assert.deepEqual(texts(await history(`BETWEEN #lounge timestamp=${m(2).time} timestamp=${m(7).time} 10`)), range(3, 6));
    assert.deepEqual(texts(await history(`BETWEEN #lounge timestamp=${m(2).time} timestamp=${m(7).time} 2`)), range(3, 4));
    assert.deepEqual(texts(await history(`BETWEEN #lounge msgid=${m(2).msgid} timestamp=${m(7).time} 2`)), range(3, 4));
  });

  test("BETWEEN, first reference newer: counted back from the first, still ascending (timestamp=)", async () => {
    assert.deepEqual(texts(await history(`BETWEEN #lounge timestamp=${m(7).time} timestamp=${m(2).time} 10`)), range(3, 6));
    assert.deepEqual(texts(await history(`BETWEEN #lounge timestamp=${m(7).time} timestamp=${m(2).time} 2`)), range(5, 6));
  });

  test("BETWEEN, first reference newer, given by msgid: counted back from the first, still ascending", async () => {
    assert.deepEqual(texts(await history(`BETWEEN #lounge msgid=${m(7).msgid} msgid=${m(2).msgid} 10`)), range(3, 6));
    assert.deepEqual(texts(await history(`BETWEEN #lounge msgid=${m(7).msgid} msgid=${m(2).msgid} 2`)), range(5, 6));
    assert.deepEqual(texts(await history(`BETWEEN #lounge msgid=${m(7).msgid} timestamp=${m(2).time} 2`)), range(5, 6));
  });

  test("paging backwards with BEFORE msgid= and forwards with AFTER msgid= yields every message once, in order", async () => {
    const backwards: string[] = [];
    let page = await history("LATEST #lounge * 5");
    for (let guard = 0; guard < 10 && page.ok && page.messages.length > 0; guard++) {
      backwards.unshift(...texts(page));
      page = await history(`BEFORE #lounge msgid=${page.messages[0]!.tags.get("msgid")} 5`);
    }
    assert.deepEqual(backwards, range(1, 12));

    const forwards: string[] = [];
    page = await history(`AFTER #lounge timestamp=${firstTime} 5`);
    for (let guard = 0; guard < 10 && page.ok && page.messages.length > 0; guard++) {
      forwards.push(...texts(page));
      page = await history(`AFTER #lounge msgid=${page.messages.at(-1)!.tags.get("msgid")} 5`);
    }
    assert.deepEqual(forwards, range(1, 12));
  });

  test("limits: above CHATHISTORY=100 is capped; 0, a non-number or a missing reference is INVALID_PARAMS", async () => {
    const isupport = await fx.raw("isupport", { readyChannel: null });
    assert.ok(isupport.lines.some((l) => / 005 .*\bCHATHISTORY=100\b/.test(l)));
    assert.deepEqual(texts(await history("LATEST #lounge * 100000")), range(1, 12));
    for (const bad of ["LATEST #lounge * 0", "LATEST #lounge * many", "BEFORE #lounge * 5", "AFTER #lounge bogus=1 5", "BETWEEN #lounge * * 5"]) {
      const reply = await history(bad);
      assert.equal(reply.ok, false, bad);
      if (!reply.ok) assert.equal(reply.fail.params[1], "INVALID_PARAMS", `${bad}: ${reply.fail.raw}`);
    }
    const unknownRef = await history("BEFORE #lounge msgid=no-such-message 5");
    assert.deepEqual(texts(unknownRef), []);
  });

  test("an unknown subcommand is FAIL CHATHISTORY UNKNOWN_COMMAND, whatever its parameters and target", async () => {
    for (const request of ["FOO #lounge * 1", "FOO #lounge bogus=1 0", "FOO #nowhere * 1", "FOO"]) {
      const reply = await history(request);
      assert.equal(reply.ok, false, request);
      if (!reply.ok) assert.deepEqual(reply.fail.params.slice(0, 3), ["CHATHISTORY", "UNKNOWN_COMMAND", "FOO"], `${request}: ${reply.fail.raw}`);
    }
  });

  test("FAIL CHATHISTORY INVALID_TARGET for a channel the client is not in (existing or not), and after it leaves", async () => {
    for (const target of ["#lounge", "#nowhere"]) {
      const reply = await chathistory(outsider, `LATEST ${target} * 10`);
      assert.equal(reply.ok, false);
      if (!reply.ok) assert.deepEqual(reply.fail.params.slice(0, 4), ["CHATHISTORY", "INVALID_TARGET", "LATEST", target]);
    }
    outsider.send("JOIN #lounge");
    await outsider.waitFor(/ 366 outsider #lounge /);
    // A member may read what was said before it joined.
    assert.deepEqual(texts(await chathistory(outsider, "LATEST #lounge * 2")), range(11, 12));
    outsider.send("PART #lounge");
    await outsider.waitFor(/ PART #lounge/);
    const afterPart = await chathistory(outsider, "LATEST #lounge * 10");
    assert.equal(afterPart.ok, false);
  });

  test("TARGETS lists the channels the client is in that had messages between the two times", async () => {
    const hour = 3_600_000;
    const from = new Date(Date.parse(m(1).time) - hour).toISOString();
    const to = new Date(Date.now() + hour).toISOString();
    const targets = await history(`TARGETS timestamp=${from} timestamp=${to} 50`);
    assert.ok(targets.ok);
    assert.equal(targets.type, "draft/chathistory-targets");
    const rows = targets.messages.map((l) => [l.params[0], l.params[1], l.params[2]]);
    const lounge = rows.find((r) => r[1] === "#lounge");
    assert.ok(lounge, JSON.stringify(rows));
    assert.equal(lounge[0], "TARGETS");
    assert.equal(lounge[2]?.replace(/^timestamp=/, ""), m(12).time, "the time of the latest message");
    // Reversed bounds mean the same window; a window before everything is empty.
    const reversed = await history(`TARGETS timestamp=${to} timestamp=${from} 50`);
    assert.ok(reversed.ok && reversed.messages.some((l) => l.params[1] === "#lounge"));
    const early = await history(`TARGETS timestamp=2001-01-01T00:00:00.000Z timestamp=2001-01-02T00:00:00.000Z 50`);
    assert.ok(early.ok);
    assert.deepEqual(early.messages, []);
    // The outsider is not in #lounge: not listed for it.
    const theirs = await chathistory(outsider, `TARGETS timestamp=${from} timestamp=${to} 50`);
    assert.ok(theirs.ok);
    assert.ok(!theirs.messages.some((l) => l.params[1] === "#lounge"));
  });

  test("NOTICEs to a channel are history too, as NOTICE", async () => {
    const notice = await say(poster, "#lounge", "a notice to all", "NOTICE");
    await reader.waitFor((l) => l.endsWith("NOTICE #lounge :a notice to all"));
    const latest = await history("LATEST #lounge * 1");
    assert.ok(latest.ok);
    assert.equal(latest.messages[0]?.command, "NOTICE");
    assert.equal(latest.messages[0]?.tags.get("msgid"), notice.msgid);
  });
});
