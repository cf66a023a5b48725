import { test } from "node:test";
import assert from "node:assert/strict";
import { highlight, queryTerms } from "../../web/src/search/highlight.js";

const marked = (text: string, query: string) =>
  highlight(text, query)
    .filter((segment) => segment.match)
    .map((segment) => segment.text);

test("the words of a search result that the query matched are marked, case and accents ignored", () => {
  assert.deepEqual(marked("Lunch at the Crème café tomorrow?", "creme LUNCH"), ["Lunch", "Crème"]);
  assert.deepEqual(marked("foo-bar and foo bar", "foo-bar"), ["foo", "bar", "foo", "bar"], "punctuation separates words, as on the server");
});

test("as on the server, only the last word matches as a prefix, and only from 3 characters", () => {
  assert.deepEqual(marked("hello help he", "hel"), ["hello", "help"]);
  assert.deepEqual(marked("hello help he", "he"), ["he"], "2 characters match whole only");
  assert.deepEqual(marked("running late, run", "run late"), ["late", "run"], "an earlier word matches whole");
  assert.deepEqual(marked("running late, run", "lat run"), ["running", "run"]);
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

test("query syntax is plain words, and a query without words marks nothing", () => {
  assert.deepEqual([...queryTerms('"release notes" OR -draft*').words], ["release", "notes", "or", "draft"]);
  assert.deepEqual(highlight("nothing here", " %% "), [{ text: "nothing here", match: false }]);
});
