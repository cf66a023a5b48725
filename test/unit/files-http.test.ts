/**
 * The small pure parts of files over HTTP: Content-Disposition both ways, byte
 * ranges, image types by name and signature, share links in messages and the
 * conversation they grant, upload names, the access cookie, the public URL.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { contentDisposition, parseRange } from "../../src/http/file-reply.js";
import { dispositionFilename, safeUploadName } from "../../src/http/routes/upload.js";
import { accessTokenFromCookie } from "../../src/http/access-cookie.js";
import { publicBaseUrl } from "../../src/http/public-url.js";
import { imageTypeOf } from "../../src/core/files/image-type.js";
import { conversationKey, shareIdsIn } from "../../src/core/files/shares.js";
import type { SentMessage } from "../../src/core/chat/messaging.js";
import type { MessageEvent } from "../../src/core/chat/events.js";
import { validateConfig } from "../../src/config/load.js";

test("Content-Disposition: exact UTF-8 name in filename*, an ASCII stand-in without quotes or backslashes", () => {
  assert.equal(contentDisposition("attachment", "a b.txt"), `attachment; filename="a b.txt"; filename*=UTF-8''a%20b.txt`);
  assert.equal(contentDisposition("inline", 'ré"\\.png'), `inline; filename="r___.png"; filename*=UTF-8''r%C3%A9%22%5C.png`);
  assert.equal(contentDisposition("attachment", "it's (1)*.txt"), `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`);
});

test("ranges: one range honoured, suffixes, clamped ends; past the end unsatisfiable; malformed or several ignored", () => {
  assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=90-500", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-500", 100), { start: 0, end: 99 });
  assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=-0", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=0-", 0), "unsatisfiable");
  assert.deepEqual(parseRange("bytes=90-99999999999999999999", 100), { start: 90, end: 99 }, "an end of any length is clamped");
  assert.deepEqual(parseRange("bytes=-99999999999999999999", 100), { start: 0, end: 99 });
  assert.deepEqual(parseRange("bytes=00000000000000000090-", 100), { start: 90, end: 99 });
  assert.equal(parseRange("bytes=99999999999999999999-", 100), "unsatisfiable");
  for (const ignored of [undefined, "bytes=5-2", "bytes=-", "bytes=0-1,5-6", "items=0-1", "bytes=a-b"]) assert.equal(parseRange(ignored, 100), null, String(ignored));
});

test("an image is one whose extension and first bytes agree", () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
  const gif = Buffer.from("GIF89a......");
  const webp = Buffer.from("RIFF\0\0\0\0WEBPVP8 ");
  assert.equal(imageTypeOf("a.png", png), "image/png");
  assert.equal(imageTypeOf("A.JPG", jpeg), "image/jpeg");
  assert.equal(imageTypeOf("a.jpeg", jpeg), "image/jpeg");
  assert.equal(imageTypeOf("a.gif", gif), "image/gif");
  assert.equal(imageTypeOf("a.webp", webp), "image/webp");
  assert.equal(imageTypeOf("a.png", Buffer.from("<html>")), null, "a name is only a claim");
  assert.equal(imageTypeOf("a.html", png), null, "bytes alone decide nothing");
  assert.equal(imageTypeOf("a.gif", png), null, "they must agree");
  assert.equal(imageTypeOf("a.svg", Buffer.from("<svg")), null, "SVG can hold scripts: never inline");
});

test("share links in a message: /f/<22 base64url characters>, any host before it, each once, at most 8", () => {
  const id = "AbCdEfGhIjKlMnOpQrStU_";
  const other = "0123456789-_0123456789";
  assert.deepEqual(shareIdsIn(`see https://chat.example.org/f/${id}/cat.png and /f/${other}`), [id, other]);
  assert.deepEqual(shareIdsIn(`/f/${id} /f/${id}/again`), [id]);
  assert.deepEqual(shareIdsIn(`/f/${id}x`), [], "23 characters is not an id");
  assert.deepEqual(shareIdsIn("/f/short"), []);
  const many = Array.from({ length: 12 }, (_, i) => `/f/${String(i).padStart(22, "a")}`).join(" ");
  assert.equal(shareIdsIn(many).length, 8);
});

test("the conversation a message grants: the folded channel, or the direct key of both parties; nothing for a guest's DM", () => {
  const event = { text: "x" } as MessageEvent;
  const channel: SentMessage = { event, senderAccount: "alice", conversation: { kind: "channel", folded: "#chan", name: "#Chan" }, offline: false };
  assert.equal(conversationKey(channel), "#chan");
  const direct: SentMessage = { event, senderAccount: "bob", conversation: { kind: "direct", recipientAccount: "alice", recipientNick: "Alice" }, offline: false };
  assert.equal(conversationKey(direct), "@alice bob");
  const toGuest: SentMessage = { event, senderAccount: "bob", conversation: { kind: "direct", recipientAccount: null, recipientNick: "Guest7" }, offline: false };
  assert.equal(conversationKey(toGuest), "@bob ~guest7");
  assert.equal(conversationKey({ ...direct, senderAccount: null }), null);
});

test("upload names: filename* first, quoted or bare filename, path parts and leading dots dropped, bounded, a type's extension when none", () => {
  assert.equal(dispositionFilename(`attachment; filename="a \\"b\\".png"`), 'a "b".png');
  assert.equal(dispositionFilename("attachment; filename=plain.txt"), "plain.txt");
  assert.equal(dispositionFilename(`attachment; filename="fallback.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`), "été.txt");
  assert.equal(dispositionFilename(`attachment; filename*=UTF-8''%E0%A4%A; filename="ok.txt"`), "ok.txt", "bad percent-encoding falls back");
  assert.equal(dispositionFilename("attachment"), null);
  assert.equal(dispositionFilename(undefined), null);

  assert.equal(safeUploadName("../../etc/passwd", undefined), "passwd");
  assert.equal(safeUploadName("C:\\Users\\me\\cat.png", undefined), "cat.png");
  assert.equal(safeUploadName("..", "image/png"), "upload.png");
  assert.equal(safeUploadName(".bashrc", undefined), "bashrc");
  assert.equal(safeUploadName("a\u0000b\nc.txt", undefined), "abc.txt");
  assert.equal(safeUploadName(null, "image/jpeg; charset=binary"), "upload.jpg");
  assert.equal(safeUploadName(null, "application/x-unknown"), "upload");
  const long = safeUploadName(`${"é".repeat(300)}.jpeg`, undefined);
  assert.ok(Buffer.byteLength(long) <= 200 && long.endsWith(".jpeg"), long);
});

test("the cmy_access cookie is found among others; anything but a token's characters is refused", () => {
  assert.equal(accessTokenFromCookie("a=1; cmy_access=abc.def-ghi_; b=2"), "abc.def-ghi_");
  assert.equal(accessTokenFromCookie("cmy_access="), null);
  assert.equal(accessTokenFromCookie('cmy_access="quoted"'), null);
  assert.equal(accessTokenFromCookie("other=1"), null);
  assert.equal(accessTokenFromCookie(undefined), null);
});

test("the public URL: http.publicUrl without its trailing slash, or http://<server.name>:<bound port>", () => {
  const derived = validateConfig({ server: { name: "chat.example.org" }, http: { listen: ["[::]:8080"] } }, "test");
  assert.equal(publicBaseUrl(derived), "http://chat.example.org:8080");
  assert.equal(publicBaseUrl(derived, 41234), "http://chat.example.org:41234");
  assert.equal(publicBaseUrl(validateConfig({ server: { name: "chat.example.org" }, http: { listen: ["[::]:80"] } }, "test")), "http://chat.example.org");
  assert.equal(publicBaseUrl(validateConfig({ http: { publicUrl: "https://chat.example.org/irc/" } }, "test")), "https://chat.example.org/irc");
  assert.throws(() => validateConfig({ http: { publicUrl: "chat.example.org" } }, "test"), /http\.publicUrl/);
  assert.throws(() => validateConfig({ http: { publicUrl: "https://user@chat.example.org" } }, "test"), /http\.publicUrl/);
});
