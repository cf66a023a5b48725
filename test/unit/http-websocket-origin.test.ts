import { test } from "node:test";
import assert from "node:assert/strict";
import { originAllowed } from "../../src/http/websocket-upgrade.js";

test("no Origin (not a browser) is allowed; the server's own origin is, default ports included", () => {
  assert.equal(originAllowed(undefined, "chat.example.org", []), true);
  assert.equal(originAllowed("https://chat.example.org", "chat.example.org", []), true);
  assert.equal(originAllowed("https://chat.example.org", "chat.example.org:443", []), true);
  assert.equal(originAllowed("http://chat.example.org:8080", "chat.example.org:8080", []), true);
  assert.equal(originAllowed("http://CHAT.example.org:8080", "chat.example.org:8080", []), true);
});

test("another host, port or a null/odd origin is refused unless listed", () => {
  assert.equal(originAllowed("https://evil.example", "chat.example.org", []), false);
  assert.equal(originAllowed("http://chat.example.org:8081", "chat.example.org:8080", []), false);
  assert.equal(originAllowed("null", "chat.example.org", []), false);
  assert.equal(originAllowed("file://", "chat.example.org", []), false);
  assert.equal(originAllowed("not a url", "chat.example.org", []), false);
  assert.equal(originAllowed("https://chat.example.org", undefined, []), false);
  assert.equal(originAllowed("https://gamja.example.org", "chat.example.org", ["https://gamja.example.org"]), true);
  assert.equal(originAllowed("https://gamja.example.org:443", "chat.example.org", ["https://gamja.example.org"]), true);
  assert.equal(originAllowed("http://gamja.example.org", "chat.example.org", ["https://gamja.example.org"]), false);
});
