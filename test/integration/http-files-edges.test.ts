/**
 * Edges of the HTTP file routes, through fetch against a real server: a resumed download
 * never joins two versions of a file (If-Range: strong ETag, and a Last-Modified only
 * when it is a strong validator), the Range unit in any case, a path ending in '/' that
 * names a folder (never a file), a move onto its own path, and moving the root; and an
 * upload refused while its body still arrives, through a raw socket.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, isProblem, type HttpReply } from "../support/http-client.js";

interface Stored {
  path: string;
  modified: string;
}

/** What the server needs before a file's dates may validate a range (RFC 9110 8.8.2.2): a second, and a little. */
const STRONG_AFTER_MS = 1100;

describe("HTTP file routes: ranges, paths and moves at their edges", () => {
  let server: TestServer;
  let api: ApiClient;
  let token: string;
  let home: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
    api = ApiClient.forPort(server.httpPort);
    await api.register("alice");
    const login = await api.login("alice");
    assert.equal(login.status, 200, login.text);
    token = login.body.tokens.accessToken;
    home = join(server.dataDir, "files", "alice");
  });
  after(() => server.stop());

  const put = (path: string, content: string): Promise<HttpReply<Stored>> =>
    api.request<Stored>("PUT", `/api/v1/files/content?path=${encodeURIComponent(path)}`, { token, raw: content, headers: { "content-type": "application/octet-stream" } });

  const download = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> => {
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/files/content?path=${encodeURIComponent(path)}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  const names = async (path = "/"): Promise<string[]> => {
    const reply = await api.get<{ entries: Array<{ name: string }> }>(`/api/v1/files?path=${encodeURIComponent(path)}`, token);
    assert.equal(reply.status, 200, reply.text);
    return reply.body.entries.map((entry) => entry.name);
  };

  test("If-Range: a file replaced within the second it was read is sent whole, never its new bytes after the old ones", async () => {
    // Early in a second, so that the whole exchange happens within it (the case a date cannot tell apart).
    await sleep(1000 - (Date.now() % 1000) + 20);
    const first = await put("/resumed.bin", "AAAAAAAA");
    assert.equal(first.status, 201, first.text);
    const part = await download("/resumed.bin", { range: "bytes=0-3" });
    assert.equal(part.status, 206);
    assert.equal(part.text, "AAAA");
    assert.equal((await put("/resumed.bin", "BBBBBBBB")).status, 200);

    // The client resumes with what it has of the first version: its Last-Modified (or, sent none, the date it was stored at).
    const date = part.headers.get("last-modified") ?? new Date(first.body.modified).toUTCString();
    const byDate = await download("/resumed.bin", { range: "bytes=4-", "if-range": date });
    assert.deepEqual([byDate.status, byDate.text], [200, "BBBBBBBB"], "a date of the same second validates nothing: the whole new file");
    const tag = part.headers.get("etag");
    assert.ok(tag, "an ETag is sent");
    const byTag = await download("/resumed.bin", { range: "bytes=4-", "if-range": tag });
    assert.deepEqual([byTag.status, byTag.text], [200, "BBBBBBBB"], "the first version's ETag does not match the second");
  });

  test("If-Range keeps the range for the version the client has: a strong ETag, and a Last-Modified a second older than the response", async () => {
    assert.equal((await put("/kept.bin", "CCCCCCCC")).status, 201);
    const fresh = await download("/kept.bin");
    assert.match(fresh.headers.get("etag") ?? "", /^W\/"[^"]+"$/, "a file changed within the second has only a weak ETag");
    assert.equal(fresh.headers.get("last-modified"), null, "and no Last-Modified: it could not be a strong validator");
    const weak = await download("/kept.bin", { range: "bytes=4-", "if-range": fresh.headers.get("etag")! });
    assert.deepEqual([weak.status, weak.text], [200, "CCCCCCCC"], "a weak ETag never validates a range");

    await sleep(STRONG_AFTER_MS);
    const whole = await download("/kept.bin");
    const tag = whole.headers.get("etag")!;
    assert.match(tag, /^"[^"]+"$/, "strong once the file is a second old");
    const lastModified = whole.headers.get("last-modified")!;
    assert.ok(lastModified, "Last-Modified once it is a strong validator");
    assert.ok(Date.parse(whole.headers.get("date")!) - Date.parse(lastModified) >= 1000, "at least one second before Date (RFC 9110 8.8.2.2)");

    for (const validator of [tag, lastModified]) {
      const resumed = await download("/kept.bin", { range: "bytes=4-", "if-range": validator });
      assert.deepEqual([resumed.status, resumed.text, resumed.headers.get("content-range")], [206, "CCCC", "bytes 4-7/8"], validator);
    }
    for (const other of [`W/${tag}`, '"some-etag"', "Wed, 21 Oct 2015 07:28:00 GMT", "not a validator"]) {
      const refused = await download("/kept.bin", { range: "bytes=4-", "if-range": other });
      assert.deepEqual([refused.status, refused.text], [200, "CCCCCCCC"], other);
    }

    assert.equal((await put("/kept.bin", "DDDDDDDD")).status, 200);
    await sleep(STRONG_AFTER_MS);
    for (const validator of [tag, lastModified]) {
      const replaced = await download("/kept.bin", { range: "bytes=4-", "if-range": validator });
      assert.deepEqual([replaced.status, replaced.text], [200, "DDDDDDDD"], `${validator} of the version replaced`);
    }
  });

  test("the Range unit is case-insensitive (RFC 9110 14.1)", async () => {
    assert.equal((await put("/units.txt", "0123456789")).status, 201);
    for (const range of ["BYTES=0-1", "Bytes=2-3"]) {
      const part = await download("/units.txt", { range });
      assert.deepEqual([part.status, part.text], [206, range === "BYTES=0-1" ? "01" : "23"], range);
    }
  });

  test("a path ending in '/' names a folder: no file is stored, served, deleted or moved under it", async () => {
    const refused = await put("/tr/", "not a folder");
    assert.ok(isProblem(refused, 400), `${refused.status} ${refused.text}`);
    assert.equal((refused.body as unknown as { type: string }).type, "urn:cmymessage:problem:invalid-path");
    assert.ok(isProblem(await put("/tr/.", "x"), 400), "'/.' at the end names a folder too");
    assert.ok(!(await names()).includes("tr"), "nothing was stored");

    assert.equal((await api.post("/api/v1/files/folders", { path: "/box/" }, token)).status, 201, "a folder may be named with its '/'");
    const onFolder = await put("/box/", "x");
    assert.ok(isProblem(onFolder, 409), onFolder.text);
    assert.equal((onFolder.body as unknown as { type: string }).type, "urn:cmymessage:problem:is-a-folder");
    assert.deepEqual(await names("/box/"), []);

    assert.equal((await put("/secret.txt", "secret")).status, 201);
    for (const path of ["/secret.txt/", "/secret.txt/."]) {
      const served = await api.get(`/api/v1/files/content?path=${encodeURIComponent(path)}`, token);
      assert.ok(isProblem(served, 409), `GET ${path}: ${served.status} ${served.text}`);
      assert.equal((served.body as { type: string }).type, "urn:cmymessage:problem:not-a-folder");
    }
    assert.ok(isProblem(await put("/secret.txt/", "overwritten"), 409), "PUT through a file named as a folder");
    assert.ok(isProblem(await api.request("DELETE", `/api/v1/files?path=${encodeURIComponent("/secret.txt/")}`, { token }), 409), "DELETE");
    assert.ok(isProblem(await api.post("/api/v1/files/move", { from: "/secret.txt/", to: "/elsewhere.txt" }, token), 409), "moved from");
    const asFolder = await api.post("/api/v1/files/move", { from: "/secret.txt", to: "/renamed/" }, token);
    assert.ok(isProblem(asFolder, 400), `a file moved to a folder's path: ${asFolder.status} ${asFolder.text}`);
    assert.ok(isProblem(await api.post("/api/v1/shares", { path: "/secret.txt/" }, token), 409), "shared");
    assert.equal(await readFile(join(home, "secret.txt"), "utf8"), "secret", "the file is untouched");
    assert.ok(!(await names()).includes("renamed"));

    assert.deepEqual((await api.post("/api/v1/files/move", { from: "/box/", to: "/crate/" }, token)).body, { path: "/crate" }, "a folder moves with its '/'");
  });

  test("a move onto its own path is 409 file-exists, as for any existing `to`; of nothing there, 404", async () => {
    assert.equal((await api.post("/api/v1/files/folders", { path: "/d1" }, token)).status, 201);
    assert.equal((await put("/same.txt", "same")).status, 201);
    for (const path of ["/d1", "/same.txt"]) {
      const moved = await api.post("/api/v1/files/move", { from: path, to: path }, token);
      assert.ok(isProblem(moved, 409), `${path}: ${moved.status} ${moved.text}`);
      assert.equal((moved.body as { type: string }).type, "urn:cmymessage:problem:file-exists");
    }
    assert.ok(isProblem(await api.post("/api/v1/files/move", { from: "/nothing", to: "/nothing" }, token), 404));
    assert.equal(await readFile(join(home, "same.txt"), "utf8"), "same");
  });

  test("moving the root folder is refused with a detail that says so", async () => {
    for (const from of ["/", "/.", "."]) {
      const moved = await api.post("/api/v1/files/move", { from, to: "/elsewhere" }, token);
      assert.ok(isProblem(moved, 400), `${from}: ${moved.status} ${moved.text}`);
      assert.equal((moved.body as { detail: string }).detail, "The root folder cannot be moved", from);
    }
  });
});

describe("a streamed upload refused while its body still arrives", () => {
  /** The whole-request deadline, short: the refused body goes on past it. */
  const REQUEST_SECONDS = 1;
  let server: TestServer;
  let token: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"], headersTimeoutSeconds: 1, requestTimeoutSeconds: REQUEST_SECONDS }, files: { quotaBytes: 100_000 } });
    token = (await ApiClient.forPort(server.httpPort).register("alice")).tokens.accessToken;
  });
  after(() => server.stop());

  test("gets one answer, its 413 saying Connection: close, even when the client sends on past http.requestTimeoutSeconds", async () => {
    // allowHalfOpen: a client that goes on sending once the server has closed its side, as the server must expect.
    const socket = net.connect({ port: server.httpPort, host: "127.0.0.1", allowHalfOpen: true });
    socket.on("error", () => {});
    let received = "";
    let ended = false;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.once("end", () => (ended = true));
    await new Promise((resolve) => socket.once("connect", resolve));
    const started = performance.now();
    socket.write(`PUT /api/v1/files/content?path=%2Fup.bin HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = (size: number): string => `${size.toString(16)}\r\n${"y".repeat(size)}\r\n`;
    while (!received.includes("\r\n\r\n") && performance.now() - started < 5000) {
      socket.write(chunk(16 * 1024));
      await sleep(5);
    }
    // More of the body, slowly, until well past the deadline (which Node looks at every 250 ms here).
    while (performance.now() - started < REQUEST_SECONDS * 1000 + 1500) {
      socket.write(chunk(1024));
      await sleep(100);
    }
    socket.write("0\r\n\r\n");
    await sleep(300);
    socket.destroy();

    const answers = [...received.matchAll(/HTTP\/1\.1 \d{3} [^\r]*/g)].map((match) => match[0]);
    assert.deepEqual(answers, ["HTTP/1.1 413 Payload Too Large"], received);
    assert.match(received, /\r\nconnection: close\r\n/i, "the refusal says the connection closes");
    assert.doesNotMatch(received, /keep-alive/i);
    assert.ok(ended, "the server closed its side after the refusal");
  });
});
