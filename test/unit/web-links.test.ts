import { test } from "node:test";
import assert from "node:assert/strict";
import { linksOf, splitLinks } from "../../web/src/ui/links.js";

test("punctuation that ends the sentence is not part of the link", () => {
  assert.deepEqual(linksOf("see https://a.b/c."), ["https://a.b/c"]);
  assert.deepEqual(linksOf("really? https://a.b/c?!"), ["https://a.b/c"]);
  assert.deepEqual(linksOf("(see https://a.b/c)"), ["https://a.b/c"], "a parenthesis opened before the link");
});

test("a closing parenthesis stays only when it closes one opened inside the link", () => {
  assert.deepEqual(linksOf("https://a.b/c(d)."), ["https://a.b/c(d)"]);
  assert.deepEqual(linksOf("https://en.wikipedia.org/wiki/Foo_(bar))."), ["https://en.wikipedia.org/wiki/Foo_(bar)"]);
  assert.deepEqual(linksOf("(https://a.b/c(d))"), ["https://a.b/c(d)"]);
  assert.deepEqual(
    splitLinks("https://a.b/c(d).").map((part) => part.text),
    ["https://a.b/c(d)", "."],
    "the punctuation stays in the text after the link",
  );
});
