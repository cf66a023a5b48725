import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { addTags, labelReplies } from "../../src/irc/labeled-response.js";
import { parseMessage, type IrcMessage } from "../../src/irc/message.js";
import { formatLine } from "../../src/irc/format.js";
import { textMessageLines } from "../../src/irc/message-lines.js";

const SERVER = "irc.example.org";

/** Splits a block of CRLF-terminated lines and parses each one. */
function lines(block: string): IrcMessage[] {
  assert.ok(block.endsWith("\r\n"), JSON.stringify(block));
  const parts = block.slice(0, -2).split("\r\n");
  return parts.map((part) => {
    assert.doesNotMatch(part, /[\r\n]/);
    const message = parseMessage(part);
    assert.ok(message, JSON.stringify(part));
    return message;
  });
}

const tags = (message: IrcMessage): Record<string, string> => Object.fromEntries(message.tags ?? []);

test("no reply lines: a labelled ACK from the server", () => {
  const out = labelReplies("abc", [], SERVER);
  assert.equal(out, `@label=abc :${SERVER} ACK\r\n`);
});

test("one reply line without tags: the label is added to it", () => {
  const line = formatLine(SERVER, "001", ["alice", "Welcome"]);
  assert.equal(labelReplies("abc", [line], SERVER), `@label=abc ${line}`);
});

test("one reply line with tags: the label is merged into the existing tags", () => {
  const line = formatLine("alice!~a@h", "PRIVMSG", ["#c", "hi"], [["time", "2024-01-01T00:00:00.000Z"], ["msgid", "m1"]]);
  const out = labelReplies("xyz", [line], SERVER);
  const [message] = lines(out);
  assert.equal(lines(out).length, 1);
  assert.deepEqual(tags(message!), { label: "xyz", time: "2024-01-01T00:00:00.000Z", msgid: "m1" });
  assert.equal(message!.command, "PRIVMSG");
  assert.deepEqual(message!.params, ["#c", "hi"]);
  assert.equal(message!.source, "alice!~a@h");
});

test("one reply holding several lines (a long message split over lines): each line is in the batch", () => {
  const split = formatLine("alice!~a@h", "PRIVMSG", ["#c", "first half "], [["msgid", "m1"]]) + formatLine("alice!~a@h", "PRIVMSG", ["#c", "second half"]);
  const messages = lines(labelReplies("s1", [split], SERVER));
  assert.deepEqual(
    messages.map((m) => m.command),
    ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH"],
  );
  const ref = messages[0]!.params[0]!.slice(1);
  for (const message of messages.slice(1, 3)) assert.equal(tags(message).batch, ref);
  assert.deepEqual(
    messages.slice(1, 3).map((m) => m.params[1]),
    ["first half ", "second half"],
  );
});

test("several reply lines: wrapped in a labeled-response batch", () => {
  const replies = [
    formatLine(SERVER, "311", ["alice", "bob", "~b", "h", "*", "Bob"]),
    formatLine(SERVER, "312", ["alice", "bob", SERVER, "info"], [["time", "T"]]),
    formatLine(SERVER, "318", ["alice", "bob", "End of /WHOIS list"]),
  ];
  const out = labelReplies("w1", replies, SERVER);
  const messages = lines(out);
  assert.equal(messages.length, replies.length + 2);

  const start = messages[0]!;
  assert.equal(start.command, "BATCH");
  assert.equal(start.source, SERVER);
  assert.deepEqual(tags(start), { label: "w1" });
  assert.equal(start.params.length, 2);
  assert.match(start.params[0]!, /^\+\S+$/);
  assert.equal(start.params[1], "labeled-response");
  const ref = start.params[0]!.slice(1);

  const inner = messages.slice(1, -1);
  assert.deepEqual(
    inner.map((m) => m.command),
    ["311", "312", "318"],
  );
  for (const message of inner) {
    assert.equal(tags(message).batch, ref);
    assert.equal(tags(message).label, undefined, "only the BATCH start carries the label");
  }
  assert.equal(tags(inner[1]!).time, "T");
  assert.deepEqual(inner[2]!.params, ["alice", "bob", "End of /WHOIS list"]);

  const end = messages.at(-1)!;
  assert.equal(end.command, "BATCH");
  assert.equal(end.source, SERVER);
  assert.deepEqual(end.params, [`-${ref}`]);
  assert.equal(end.tags, null);
});

test("batch references differ between batches", () => {
  const two = [formatLine(SERVER, "NOTICE", ["a", "1"]), formatLine(SERVER, "NOTICE", ["a", "2"])];
  const refs = new Set<string>();
  for (let i = 0; i < 20; i++) refs.add(lines(labelReplies("l", two, SERVER))[0]!.params[0]!);
  assert.equal(refs.size, 20);
});

test("a label with special characters is escaped and survives parsing", () => {
  const label = "a b;c\\d";
  for (const count of [0, 1, 3]) {
    const replies = Array.from({ length: count }, (_, i) => formatLine(SERVER, "NOTICE", ["a", `r${i}`]));
    const first = lines(labelReplies(label, replies, SERVER))[0]!;
    assert.equal(first.tags?.get("label"), label, `with ${count} replies`);
  }
});

test("property: whatever the label and replies, every output line parses and the label comes back", () => {
  const label = fc.string({ unit: fc.constantFrom("a", "1", " ", ";", "\\", "=", "-", "é"), minLength: 1, maxLength: 12 });
  const reply = fc.tuple(fc.constantFrom("NOTICE", "001", "PRIVMSG"), fc.string({ maxLength: 10 }), fc.boolean()).map(([command, text, tagged]) =>
    formatLine(SERVER, command, ["alice", text], tagged ? [["time", "T"]] : null),
  );
  fc.assert(
    fc.property(label, fc.array(reply, { maxLength: 5 }), (l, replies) => {
      const messages = lines(labelReplies(l, replies, SERVER));
      assert.equal(messages[0]!.tags?.get("label"), l);
      const expectedLines = replies.length <= 1 ? 1 : replies.length + 2;
      assert.equal(messages.length, expectedLines);
    }),
  );
});

test("addTags prepends to tagless lines and merges into tagged ones", () => {
  assert.equal(addTags(":s CMD x\r\n", "a=1"), "@a=1 :s CMD x\r\n");
  assert.equal(addTags("@b=2 :s CMD x\r\n", "a=1"), "@a=1;b=2 :s CMD x\r\n");
});

test("the echo of a multiline message (one draft/multiline batch): the label on its opener alone", () => {
  const echo = textMessageLines("alice!~a@h", "PRIVMSG", "#c", "one\ntwo", [["msgid", "m1"]], "m1");
  const messages = lines(labelReplies("ml", [echo], SERVER));
  assert.deepEqual(
    messages.map((m) => m.command),
    ["BATCH", "PRIVMSG", "PRIVMSG", "BATCH"],
  );
  assert.deepEqual(tags(messages[0]!), { label: "ml", msgid: "m1" });
  assert.equal(messages[0]!.params[1], "draft/multiline");
  for (const message of messages.slice(1)) assert.equal(message.tags?.get("label"), undefined);
});

test("a batch among several replies is nested in the labeled-response batch: its lines keep their own batch tag", () => {
  const echo = textMessageLines("alice!~a@h", "PRIVMSG", "bob", "one\ntwo", [["msgid", "m1"]], "m1");
  const away = formatLine(SERVER, "301", ["alice", "bob", "gone"]);
  const messages = lines(labelReplies("n1", [away, echo], SERVER));
  const outer = messages[0]!.params[0]!.slice(1);
  assert.equal(messages[0]!.params[1], "labeled-response");
  const inner = messages[2]!.params[0]!.slice(1);
  assert.deepEqual(
    messages.map((m) => [m.command, m.tags?.get("batch")]),
    [
      ["BATCH", undefined],
      ["301", outer],
      ["BATCH", outer],
      ["PRIVMSG", inner],
      ["PRIVMSG", inner],
      ["BATCH", outer],
      ["BATCH", undefined],
    ],
  );
});
