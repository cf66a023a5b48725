import { test } from "node:test";
import assert from "node:assert/strict";
import { highlight, queryTerms } from "../../web/src/search/highlight.js";

const marked = (text: string, query: string) =>
  highlight(text, query)
    .filter((segment) => segment.match)
    .map((segment) => segment.text);

test("the words of a search result that the query matched are marked, case and accents ignored", () => {
  assert.deepEqual(marked("Lunch at the Café tomorrow?", "cafe LUNCH"), ["Lunch", "Café"]);
  assert.deepEqual(marked("we were running late", "run"), ["running"], "a query word marks the words it starts");
  assert.deepEqual(marked("prune the tree", "run"), [], "only the start of a word matches");
});

test("the segments put the text back together exactly, markup characters included, as plain text", () => {
  const text = "<b>deploy</b> & deploy again";
  const segments = highlight(text, "deploy");
  assert.equal(segments.map((segment) => segment.text).join(""), text);
  assert.deepEqual(
    segments.filter((segment) => segment.match).map((segment) => segment.text),
    ["deploy", "deploy"],
  );
});

test("query syntax is not searched for, and an empty query marks nothing", () => {
  assert.deepEqual(queryTerms('"release notes" OR -draft*'), ["release", "notes", "draft"]);
  assert.deepEqual(highlight("nothing here", "  "), [{ text: "nothing here", match: false }]);
});
