import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFormatting, PLAIN, runsBetween, stripFormatting } from "../../web/src/ui/irc-formatting.js";

test("formatting codes are taken out of the text, colour parameters included", () => {
  assert.equal(stripFormatting("\x02bold\x02 \x1ditalic\x1d \x1funder\x1f \x1estrike\x1e \x11mono\x11 \x16rev\x16\x0f"), "bold italic under strike mono rev");
  assert.equal(stripFormatting("\x0304red\x03 \x034,12on blue\x03 \x0399default"), "red on blue default");
  assert.equal(stripFormatting("\x04FF00FFpink\x04 \x04ff0000,00ff00both"), "pink both");
  assert.equal(stripFormatting("\x0312345"), "345", "two digits at most make the colour");
  assert.equal(stripFormatting("\x033,text"), ",text", "a comma not followed by a colour is text");
  assert.equal(stripFormatting("\x0ftext\x03"), "text");
});

test("each run carries its style: toggles, colours, reset", () => {
  const runs = parseFormatting("a\x02b\x0304,01c\x1dd\x0fe");
  assert.deepEqual(
    runs.map((run) => run.text),
    ["a", "b", "c", "d", "e"],
  );
  assert.deepEqual(runs[0]!.style, PLAIN);
  assert.deepEqual(runs[1]!.style, { ...PLAIN, bold: true });
  assert.deepEqual(runs[2]!.style, { ...PLAIN, bold: true, foreground: 4, background: 1 });
  assert.deepEqual(runs[3]!.style, { ...PLAIN, bold: true, italic: true, foreground: 4, background: 1 });
  assert.deepEqual(runs[4]!.style, PLAIN);
});

test("a foreground alone keeps the background; a bare colour code, 99 and unknown colours mean the default", () => {
  const runs = parseFormatting("\x033,5a\x037b\x03c\x0399d\x0342e\x0302,99f\x04FF0000g");
  assert.deepEqual(
    runs.map((run) => [run.text, run.style.foreground, run.style.background]),
    [
      ["a", 3, 5],
      ["b", 7, 5],
      ["cde", null, null],
      ["f", 2, null],
      ["g", null, null],
    ],
  );
});

test("runs of the same style are one run; runsBetween cuts them at any offset", () => {
  const runs = parseFormatting("ab\x02\x02cd\x02ef");
  assert.deepEqual(
    runs.map((run) => run.text),
    ["abcd", "ef"],
  );
  assert.deepEqual(
    runsBetween(runs, 3, 5).map((run) => [run.text, run.style.bold]),
    [
      ["d", false],
      ["e", true],
    ],
  );
});
