import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_PARAMS, escapeTagValue, parseMessage, unescapeTagValue, type IrcMessage } from "../../src/irc/message.js";

function parse(line: string): IrcMessage {
  const message = parseMessage(line);
  assert.ok(message, `expected ${JSON.stringify(line)} to parse`);
  return message;
}

function tagsOf(line: string): Record<string, string> {
  const tags = parse(line).tags;
  assert.ok(tags, "expected tags");
  return Object.fromEntries(tags);
}

// ── basic structure ───────────────────────────────────────────────────────

test("parses source, command and params; no tags gives null", () => {
  const message = parse(":nick!user@host PRIVMSG #chan :hello there");
  assert.equal(message.tags, null);
  assert.equal(message.source, "nick!user@host");
  assert.equal(message.command, "PRIVMSG");
  assert.deepEqual(message.params, ["#chan", "hello there"]);
});

test("a line without source has a null source", () => {
  const message = parse("PING token");
  assert.equal(message.source, null);
  assert.equal(message.command, "PING");
  assert.deepEqual(message.params, ["token"]);
});

test("a command without params has an empty param list", () => {
  assert.deepEqual(parse("QUIT").params, []);
  assert.deepEqual(parse("QUIT   ").params, []);
});

test("lower-case and mixed-case commands are upper-cased; numerics stay as they are", () => {
  assert.equal(parse("privmsg #a :x").command, "PRIVMSG");
  assert.equal(parse("PrivMsg #a :x").command, "PRIVMSG");
  assert.equal(parse(":srv 001 nick :Welcome").command, "001");
});

test("tags, source and command together", () => {
  const message = parse("@time=2024-01-01T00:00:00.000Z;+draft/react=👍;msgid=abc :a!b@c TAGMSG #chan");
  assert.deepEqual(Object.fromEntries(message.tags!), { time: "2024-01-01T00:00:00.000Z", "+draft/react": "👍", msgid: "abc" });
  assert.equal(message.source, "a!b@c");
  assert.equal(message.command, "TAGMSG");
  assert.deepEqual(message.params, ["#chan"]);
});

// ── hostile and odd input ─────────────────────────────────────────────────

test("empty lines and lines of only spaces hold no command", () => {
  assert.equal(parseMessage(""), null);
  assert.equal(parseMessage(" "), null);
  assert.equal(parseMessage("          "), null);
});

test("a line of only tags holds no command", () => {
  assert.equal(parseMessage("@a=b"), null);
  assert.equal(parseMessage("@a=b;c=d"), null);
  assert.equal(parseMessage("@a=b   "), null);
  assert.equal(parseMessage("@"), null);
});

test("a line of only a source (with or without tags) holds no command", () => {
  assert.equal(parseMessage(":nick!user@host"), null);
  assert.equal(parseMessage(":nick!user@host   "), null);
  assert.equal(parseMessage("@a=b :nick!user@host"), null);
  assert.equal(parseMessage("@a=b :nick!user@host  "), null);
  assert.equal(parseMessage(":"), null);
});

test("leading spaces before the command are skipped", () => {
  const message = parse("   NICK alice");
  assert.equal(message.command, "NICK");
  assert.deepEqual(message.params, ["alice"]);
});

test("an empty trailing param ':' is kept as an empty string", () => {
  assert.deepEqual(parse("PRIVMSG #chan :").params, ["#chan", ""]);
  assert.deepEqual(parse("TOPIC #chan :").params, ["#chan", ""]);
  assert.deepEqual(parse("AWAY :").params, [""]);
});

test("the trailing param keeps spaces, colons and leading spaces verbatim", () => {
  assert.deepEqual(parse("PRIVMSG #chan :  a  :b c  ").params, ["#chan", "  a  :b c  "]);
  assert.deepEqual(parse("PRIVMSG #chan ::-)").params, ["#chan", ":-)"]);
});

test("multiple spaces between params are a single separator", () => {
  assert.deepEqual(parse("MODE    #chan    +o     alice").params, ["#chan", "+o", "alice"]);
  assert.deepEqual(parse("PRIVMSG   #chan      :hi  there").params, ["#chan", "hi  there"]);
  assert.deepEqual(parse(":src    NOTICE   x   y").params, ["x", "y"]);
  assert.equal(parse(":src    NOTICE   x   y").source, "src");
});

test("trailing spaces after middle params add no empty param", () => {
  assert.deepEqual(parse("JOIN #a   ").params, ["#a"]);
});

test("a colon inside a middle param does not start the trailing param", () => {
  assert.deepEqual(parse("CMD a:b c").params, ["a:b", "c"]);
});

test(`at most ${MAX_PARAMS} params: with 16+ words the 15th param takes the rest of the line`, () => {
  const words = Array.from({ length: 20 }, (_, i) => `p${i + 1}`);
  const message = parse(`CMD ${words.join(" ")}`);
  assert.equal(message.params.length, MAX_PARAMS);
  assert.deepEqual(message.params.slice(0, 14), words.slice(0, 14));
  assert.equal(message.params[14], words.slice(14).join(" "));
});

test("exactly 15 middle params are all kept as they are", () => {
  const words = Array.from({ length: 15 }, (_, i) => `w${i}`);
  assert.deepEqual(parse(`CMD ${words.join(" ")}`).params, words);
});

test("the 15th param keeps a colon that follows it and inner spacing", () => {
  const middles = Array.from({ length: 14 }, (_, i) => `m${i}`);
  const message = parse(`CMD ${middles.join(" ")} fifteen  :sixteen seventeen`);
  assert.equal(message.params.length, MAX_PARAMS);
  assert.equal(message.params[14], "fifteen  :sixteen seventeen");
});

test("a trailing ':' as the 15th param drops the colon", () => {
  const middles = Array.from({ length: 14 }, (_, i) => `m${i}`);
  const message = parse(`CMD ${middles.join(" ")} :last words here`);
  assert.equal(message.params.length, MAX_PARAMS);
  assert.equal(message.params[14], "last words here");
});

test("property: parsing never throws and never yields more than 15 params or an empty command", () => {
  const chars = fc.constantFrom(" ", ":", "@", ";", "=", "\\", "a", "B", "1", "#", "!", "é", "\t");
  fc.assert(
    fc.property(fc.string({ unit: chars, maxLength: 80 }), (line) => {
      const message = parseMessage(line);
      if (message === null) return;
      assert.ok(message.command.length > 0);
      assert.ok(!message.command.includes(" "));
      assert.equal(message.command, message.command.toUpperCase());
      assert.ok(message.params.length <= MAX_PARAMS);
      // Every param but the last one is a non-empty word.
      for (const param of message.params.slice(0, -1)) {
        assert.ok(param.length > 0 && !param.includes(" "), `middle param ${JSON.stringify(param)}`);
      }
    }),
  );
});

// ── tags ───────────────────────────────────────────────────────────────────

test("a tag without '=' or with an empty value has the empty string as value", () => {
  assert.deepEqual(tagsOf("@a;b=;c=1 CMD"), { a: "", b: "", c: "1" });
});

test("tag values keep '=' after the first one", () => {
  assert.deepEqual(tagsOf("@a=b=c CMD"), { a: "b=c" });
});

test("empty tag items (;;) are skipped", () => {
  assert.deepEqual(tagsOf("@;a=1;;b=2; CMD"), { a: "1", b: "2" });
});

test("tags with malformed keys are dropped, the rest of the message survives", () => {
  const message = parse("@good=1;b_d=2;=3;b@d=4;+vendor.example/ok=5;++x=6;a/=7 PRIVMSG #a :hi");
  assert.deepEqual(Object.fromEntries(message.tags!), { good: "1", "+vendor.example/ok": "5" });
  assert.equal(message.command, "PRIVMSG");
  assert.deepEqual(message.params, ["#a", "hi"]);
});

test("client-only (+) and vendor-prefixed tag keys are accepted", () => {
  assert.deepEqual(tagsOf("@+typing=active;example.com/foo=bar;+example.com/x-y=z CMD"), {
    "+typing": "active",
    "example.com/foo": "bar",
    "+example.com/x-y": "z",
  });
});

test("a repeated tag key keeps the last value", () => {
  assert.deepEqual(tagsOf("@a=1;a=2 CMD"), { a: "2" });
});

test("tag values are unescaped while parsing (IRCv3 examples)", () => {
  assert.deepEqual(tagsOf("@a=b\\\\and\\nk;c=72\\s45;d=gh\\:764 foo"), { a: "b\\and\nk", c: "72 45", d: "gh;764" });
  assert.deepEqual(tagsOf("@a=\\r\\n\\s\\:\\\\ CMD"), { a: "\r\n ;\\" });
});

// ── escaping ───────────────────────────────────────────────────────────────

test("escapeTagValue escapes ; space \\ CR LF per IRCv3", () => {
  assert.equal(escapeTagValue("a;b"), "a\\:b");
  assert.equal(escapeTagValue("a b"), "a\\sb");
  assert.equal(escapeTagValue("a\\b"), "a\\\\b");
  assert.equal(escapeTagValue("a\rb"), "a\\rb");
  assert.equal(escapeTagValue("a\nb"), "a\\nb");
  assert.equal(escapeTagValue("plain=value:ok"), "plain=value:ok");
  assert.equal(escapeTagValue(""), "");
});

test("unescapeTagValue decodes the five IRCv3 escapes", () => {
  assert.equal(unescapeTagValue("\\:"), ";");
  assert.equal(unescapeTagValue("\\s"), " ");
  assert.equal(unescapeTagValue("\\\\"), "\\");
  assert.equal(unescapeTagValue("\\r"), "\r");
  assert.equal(unescapeTagValue("\\n"), "\n");
  assert.equal(unescapeTagValue("no escapes"), "no escapes");
});

test("unescapeTagValue drops a trailing lone backslash", () => {
  assert.equal(unescapeTagValue("abc\\"), "abc");
  assert.equal(unescapeTagValue("\\"), "");
  // An escaped backslash at the end is not a lone one.
  assert.equal(unescapeTagValue("abc\\\\"), "abc\\");
  assert.deepEqual(tagsOf("@a=x\\ CMD"), { a: "x" });
});

test("unescapeTagValue turns unknown escapes into the character itself", () => {
  assert.equal(unescapeTagValue("\\b"), "b");
  assert.equal(unescapeTagValue("a\\tb"), "atb");
  assert.equal(unescapeTagValue("\\0"), "0");
  assert.equal(unescapeTagValue("\\é"), "é");
});

test("the escape sequence is not re-interpreted after decoding (\\\\s is backslash + s)", () => {
  assert.equal(unescapeTagValue("\\\\s"), "\\s");
  assert.equal(unescapeTagValue("\\\\:"), "\\:");
});

test("property: unescape(escape(v)) === v for arbitrary strings without NUL (NUL is dropped)", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 60 }), (value) => {
      assert.equal(unescapeTagValue(escapeTagValue(value)), value.replace(/\0/g, ""));
    }),
  );
  const tricky = fc.string({ unit: fc.constantFrom("\\", ";", " ", "\r", "\n", ":", "s", "r", "n", "a"), maxLength: 40 });
  fc.assert(
    fc.property(tricky, (value) => {
      assert.equal(unescapeTagValue(escapeTagValue(value)), value);
    }),
  );
});

test("property: escaped values never contain ; space CR or LF", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 60 }), (value) => {
      assert.doesNotMatch(escapeTagValue(value), /[; \r\n]/);
    }),
  );
});
