import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatLine, formatTags, type OutgoingTags } from "../../src/irc/format.js";
import { parseMessage } from "../../src/irc/message.js";

const TEXT_COMMANDS = ["NICK", "PRIVMSG", "NOTICE", "QUIT", "PART", "KICK", "TOPIC", "AWAY", "SETNAME", "ERROR", "FAIL", "WARN", "NOTE"];

// ── arbitraries ──────────────────────────────────────────────────────────

/** Any character but the three a line can never hold. */
const lineChar = fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => !/[\r\n\0]/.test(c));
/** Characters that stress the framing: space, colon, at, semicolon, backslash, non-ASCII. */
const trickyChar = fc.constantFrom(" ", ":", "@", ";", "\\", "=", "#", "!", "a", "Z", "9", "é", "😀", "\t", "\x01");
const textChar = fc.oneof(lineChar, trickyChar);

/** A middle param: non-empty, no space, does not start with ':'. */
const middleParam = fc
  .string({ unit: fc.oneof(lineChar, trickyChar).filter((c) => c !== " "), minLength: 1, maxLength: 12 })
  .filter((p) => !p.startsWith(":"));
/** A last param: anything without CR/LF/NUL, including "", spaces and a leading ':'. */
const lastParam = fc.string({ unit: textChar, maxLength: 30 });

const command = fc.oneof(
  fc.constantFrom(...TEXT_COMMANDS, "MODE", "JOIN", "PING", "BATCH", "CAP", "001", "005", "353", "433"),
  fc.stringMatching(/^[A-Z]{1,12}$/),
);

const tagKey = fc.stringMatching(/^\+?(?:[a-z0-9.-]{1,8}\/)?[A-Za-z0-9-]{1,10}$/);
/** Tag values with everything that must be escaped (; space \ CR LF) but no NUL. */
const tagValue = fc.string({ unit: fc.oneof(lineChar, fc.constantFrom(";", " ", "\\", "\r", "\n", "=", ":", "s", "n", "r")), maxLength: 20 });
const tags = fc.uniqueArray(fc.tuple(tagKey, tagValue), { selector: ([key]) => key, maxLength: 5 });

const source = fc.option(
  fc.string({ unit: lineChar.filter((c) => c !== " "), minLength: 1, maxLength: 20 }),
  { nil: null },
);

function body(line: string): string {
  assert.ok(line.endsWith("\r\n"), `line must end with CRLF: ${JSON.stringify(line)}`);
  return line.slice(0, -2);
}

// ── round trip ──────────────────────────────────────────────────────────

test("property: parse(formatLine(...)) gives back command, params, source and tags", () => {
  fc.assert(
    fc.property(
      source,
      command,
      fc.array(middleParam, { maxLength: 14 }),
      fc.option(lastParam, { nil: undefined }),
      tags,
      (src, cmd, middles, last, tagList) => {
        const params = last === undefined ? middles : [...middles, last];
        const line = formatLine(src, cmd, params, tagList);
        const message = parseMessage(body(line));
        assert.ok(message, `did not parse: ${JSON.stringify(line)}`);
        assert.equal(message.command, cmd);
        assert.deepEqual(message.params, params);
        assert.equal(message.source, src);
        if (tagList.length === 0) assert.equal(message.tags, null);
        else assert.deepEqual([...message.tags!], tagList);
      },
    ),
    { numRuns: 300 },
  );
});

test("round trip of a line with exactly 15 params whose last one has spaces", () => {
  const params = [...Array.from({ length: 14 }, (_, i) => `m${i}`), "the last one"];
  const message = parseMessage(body(formatLine("srv", "CMD", params)));
  assert.deepEqual(message?.params, params);
});

test("round trip of tag values holding ; space \\ CR LF and a trailing backslash", () => {
  const tagList: OutgoingTags = [
    ["a", "x;y z"],
    ["b", "back\\slash\\"],
    ["c", "line1\r\nline2"],
    ["+d", "\\s is not a space"],
    ["e", ""],
  ];
  const line = formatLine("srv", "TAGMSG", ["#chan"], tagList);
  assert.doesNotMatch(body(line), /[\r\n]/);
  const message = parseMessage(body(line));
  assert.deepEqual([...message!.tags!], tagList);
});

// ── safety of the output ─────────────────────────────────────────────────

test("property: formatLine never puts CR, LF or NUL inside a line and ends with exactly one CRLF", () => {
  const anyString = fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.constantFrom("\r", "\n", "\0", " ", ":")), maxLength: 30 });
  fc.assert(
    fc.property(command, fc.array(anyString, { maxLength: 16 }), (cmd, params) => {
      const line = formatLine("irc.example.org", cmd, params);
      const content = body(line);
      assert.doesNotMatch(content, /[\r\n\0]/);
      assert.ok(!content.endsWith("\r"));
    }),
    { numRuns: 300 },
  );
});

test("an empty middle param is written as * (it cannot be empty on the wire); an empty last one stays trailing", () => {
  assert.equal(formatLine("srv", "401", ["alice", "", "No such nick/channel"]), ":srv 401 alice * :No such nick/channel\r\n");
  assert.equal(formatLine("srv", "MODE", ["#c", "", "x"]), ":srv MODE #c * x\r\n");
  assert.equal(formatLine("srv", "MODE", ["#c", ""]), ":srv MODE #c :\r\n");
  assert.deepEqual(parseMessage(body(formatLine(null, "CMD", ["", "", "last"])))?.params, ["*", "*", "last"]);
});

test("CR, LF and NUL in params are each replaced, keeping the rest of the text", () => {
  const line = formatLine("srv", "PRIVMSG", ["#chan", "a\r\nQUIT :pwned\0b"]);
  assert.equal(line, ":srv PRIVMSG #chan :a  QUIT :pwned b\r\n");
  // A middle param that only becomes unsafe characters turns into spaces and moves to the trailing slot when last.
  assert.equal(formatLine(null, "MODE", ["#c", "\n"]), "MODE #c : \r\n");
});

test("property: tag values never put CR, LF or NUL on the wire", () => {
  // IRCv3 message-tags: an escaped value holds no NUL, CR, LF, ';' or space. Client-only
  // tags are relayed from other clients, so formatting must enforce this for any value.
  const anyValue = fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.constantFrom("\r", "\n", "\0", " ", ";")), maxLength: 20 });
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(tagKey, anyValue), { selector: ([key]) => key, maxLength: 4 }), (tagList) => {
      const content = body(formatLine("a!b@c", "TAGMSG", ["#chan"], tagList));
      assert.doesNotMatch(content, /[\r\n\0]/);
    }),
  );
});

test("a NUL in a relayed client tag value is not written to the wire", () => {
  const content = body(formatLine("a!b@c", "TAGMSG", ["#chan"], [["+draft/react", "x\0y"]]));
  assert.ok(!content.includes("\0"), `NUL on the wire: ${JSON.stringify(content)}`);
});

// ── trailing parameter rules ─────────────────────────────────────────────

test("numerics always write the last param as trailing, even a single word", () => {
  assert.equal(formatLine("srv", "001", ["alice", "Welcome"]), ":srv 001 alice :Welcome\r\n");
  assert.equal(formatLine("srv", "433", ["*", "alice", "Nickname"]), ":srv 433 * alice :Nickname\r\n");
});

test("PRIVMSG and other text commands always write the last param as trailing", () => {
  assert.equal(formatLine("a!b@c", "PRIVMSG", ["#chan", "hi"]), ":a!b@c PRIVMSG #chan :hi\r\n");
  assert.equal(formatLine("a!b@c", "NOTICE", ["bob", "x"]), ":a!b@c NOTICE bob :x\r\n");
  assert.equal(formatLine("a!b@c", "QUIT", ["bye"]), ":a!b@c QUIT :bye\r\n");
});

/** Where the free-text parameter of each text command stands. */
const TEXT_PARAM_INDEX: Record<string, number> = { NICK: 0, PRIVMSG: 1, NOTICE: 1, PART: 1, TOPIC: 1, KICK: 2, QUIT: 0, AWAY: 0, SETNAME: 0, ERROR: 0 };

test("property: numerics, and text commands whose last param is the text, end with ' :<last>'", () => {
  const numeric = fc.stringMatching(/^[0-9]{3}$/);
  const textCommand = fc.constantFrom(...Object.keys(TEXT_PARAM_INDEX)).chain((cmd) =>
    fc.tuple(fc.constant(cmd), fc.array(middleParam, { minLength: TEXT_PARAM_INDEX[cmd]!, maxLength: TEXT_PARAM_INDEX[cmd]! })),
  );
  fc.assert(
    fc.property(fc.oneof(fc.tuple(numeric, fc.array(middleParam, { maxLength: 3 })), textCommand), lastParam, ([cmd, middles], last) => {
      const line = formatLine("srv", cmd, [...middles, last]);
      assert.ok(line.endsWith(` :${last}\r\n`), JSON.stringify(line));
    }),
  );
});

test("NICK and TOPIC always write their last param as trailing, as most servers do (ii needs it)", () => {
  assert.equal(formatLine("a!b@c", "NICK", ["new"]), ":a!b@c NICK :new\r\n");
  assert.equal(formatLine("a!b@c", "TOPIC", ["#chan", "word"]), ":a!b@c TOPIC #chan :word\r\n");
});

test("a text command without its text writes its last param plainly (PART #chan)", () => {
  assert.equal(formatLine("a!b@c", "PART", ["#chan"]), ":a!b@c PART #chan\r\n");
  assert.equal(formatLine("a!b@c", "KICK", ["#chan", "bob", "why"]), ":a!b@c KICK #chan bob :why\r\n");
});

test("other commands only use a trailing param when needed", () => {
  assert.equal(formatLine("a!b@c", "JOIN", ["#chan"]), ":a!b@c JOIN #chan\r\n");
  assert.equal(formatLine("a!b@c", "MODE", ["#chan", "+o", "bob"]), ":a!b@c MODE #chan +o bob\r\n");
  // Empty, containing a space, or starting with ':' forces the trailing form.
  assert.equal(formatLine(null, "CAP", ["*", "LS", ""]), "CAP * LS :\r\n");
  assert.equal(formatLine(null, "CAP", ["*", "LS", "a b"]), "CAP * LS :a b\r\n");
  assert.equal(formatLine(null, "CMD", [":x"]), "CMD ::x\r\n");
});

test("a line without params or source is just the command and CRLF", () => {
  assert.equal(formatLine(null, "PING", []), "PING\r\n");
});

// ── tags ──────────────────────────────────────────────────────────────────

test("formatTags: none gives the empty string; values are escaped; empty values write the key alone", () => {
  assert.equal(formatTags(null), "");
  assert.equal(formatTags([]), "");
  assert.equal(formatTags([["a", ""]]), "@a ");
  assert.equal(formatTags([["a", "1"], ["b", "x y;z\\"]]), "@a=1;b=x\\sy\\:z\\\\ ");
  assert.equal(formatLine("srv", "PONG", ["srv", "t"], [["time", "T"]]), "@time=T :srv PONG srv t\r\n");
});

test("formatTags keeps the order it was given", () => {
  assert.equal(formatTags([["z", "1"], ["a", "2"], ["m", "3"]]), "@z=1;a=2;m=3 ");
});
