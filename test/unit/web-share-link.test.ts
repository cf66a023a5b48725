import { test } from "node:test";
import assert from "node:assert/strict";
import { imageShare } from "../../web/src/files/share-link.js";

const origin = "https://chat.example.org";

test("this server's share links to images are recognised, with the decoded file name", () => {
  assert.deepEqual(imageShare("https://chat.example.org/f/Ab12/cat.png", origin), { path: "/f/Ab12/cat.png", name: "cat.png" });
  assert.deepEqual(imageShare("/f/x/holiday%20photo.JPEG?dl=1#top", origin), { path: "/f/x/holiday%20photo.JPEG", name: "holiday photo.JPEG" });
  for (const extension of ["jpg", "gif", "webp"]) assert.ok(imageShare(`${origin}/f/id/a.${extension}`, origin));
});

test("other origins, other paths and other file types get no preview", () => {
  assert.equal(imageShare("https://evil.example/f/Ab12/cat.png", origin), null, "never a third-party request");
  assert.equal(imageShare("http://chat.example.org/f/Ab12/cat.png", origin), null, "another scheme is another origin");
  assert.equal(imageShare(`${origin}/f/Ab12/notes.txt`, origin), null);
  assert.equal(imageShare(`${origin}/f/Ab12/image.svg`, origin), null, "SVG can carry script: never inline");
  assert.equal(imageShare(`${origin}/files/cat.png`, origin), null);
  assert.equal(imageShare(`${origin}/f/Ab12/sub/cat.png`, origin), null);
  assert.equal(imageShare(`${origin}/f/Ab12/%E0%A4%A.png`, origin), null, "a malformed escape is not a name");
  assert.equal(imageShare("not a url at all", "null"), null);
});
