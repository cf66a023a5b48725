import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatLine, formatMessageLine } from "../../src/irc/format.js";
import { parseMessage } from "../../src/irc/message.js";

function parsedParams(line: string): readonly string[] | undefined {
  return parseMessage(line.replace(/\r\n$/, ""))?.params;
}

test("a middle param with a space or a leading ':' is written as *, like an empty one", () => {
  assert.equal(formatLine("srv", "401", ["gban", ":x", "No such nick/channel"]), ":srv 401 gban * :No such nick/channel\r\n");
  assert.equal(formatLine("srv", "432", ["gban", "a b", "Erroneous nickname"]), ":srv 432 gban * :Erroneous nickname\r\n");
  assert.equal(formatLine("srv", "366", ["gban", "#a b", "End of /NAMES list."]), ":srv 366 gban * :End of /NAMES list.\r\n");
  assert.equal(formatLine("srv", "FAIL", ["REDACT", "INVALID_TARGET", "a b", "You cannot delete messages from a b"]), ":srv FAIL REDACT INVALID_TARGET * :You cannot delete messages from a b\r\n");
  assert.equal(formatMessageLine(null, "MODE", ["#c", "+b", ":x", "y"], null), "MODE #c +b * y");
});

test("a ':' or a tab inside a middle param is kept; the last param keeps its spaces and leading ':'", () => {
  assert.equal(formatLine("srv", "401", ["gban", "no:body", "No such nick/channel"]), ":srv 401 gban no:body :No such nick/channel\r\n");
  assert.equal(formatLine("srv", "CMD", ["a\tb", "c"]), ":srv CMD a\tb c\r\n");
  assert.equal(formatLine("srv", "CMD", ["a", ":b c"]), ":srv CMD a ::b c\r\n");
  assert.equal(formatLine("srv", "PRIVMSG", ["#c", ":) a b"]), ":srv PRIVMSG #c ::) a b\r\n");
});

test("property: the line always has as many params as given, each middle one as given or '*'", () => {
  const param = fc.string({ unit: fc.constantFrom(" ", ":", "a", "#", "\t", "é"), maxLength: 6 });
  fc.assert(
    fc.property(fc.constantFrom("401", "MODE", "FAIL", "CMD", "PRIVMSG"), fc.array(param, { minLength: 1, maxLength: 10 }), (command, params) => {
      const got = parsedParams(formatLine("srv", command, params));
      assert.ok(got, "parses");
      assert.equal(got.length, params.length);
      const last = params.length - 1;
      for (let i = 0; i < last; i++) {
        const p = params[i]!;
        const standsAsMiddle = p !== "" && !p.includes(" ") && !p.startsWith(":");
        assert.equal(got[i], standsAsMiddle ? p : "*");
      }
      assert.equal(got[last], params[last]);
    }),
    { numRuns: 500 },
  );
});
