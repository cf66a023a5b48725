/**
 * The account's file space over HTTP, through curl and fetch: list, upload (PUT,
 * streamed), download (with a range), move, delete, new folder; the same files and
 * quota as FTP (read back with basic-ftp both ways); quotas enforced while the
 * bytes arrive with nothing left behind; a cut-off upload leaves nothing; jail
 * escapes refused; no token, no files; and a 20 MiB upload that reaches the disk
 * while it is still arriving, without the server's memory growing with it.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { after, before, describe, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { Client } from "basic-ftp";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, isProblem } from "../support/http-client.js";
import { bearer, curl } from "../support/curl.js";
import { expectSuccess, run } from "../support/ftp-client.js";
import { waitFor } from "../support/wait.js";
import { isTemporaryUpload } from "../../src/core/files/file-space.js";
import { measureUsage } from "../../src/core/files/usage.js";

interface Listing {
  path: string;
  entries: Array<{ name: string; type: "file" | "dir"; size: number; modified: string }>;
  usage: { usedBytes: number; quotaBytes: number | null };
}

const MiB = 1024 * 1024;
let local: string;

before(async () => {
  local = await mkdtemp(join(tmpdir(), "cmy-http-files-"));
});
after(async () => {
  await rm(local, { recursive: true, force: true });
});

async function localFile(name: string, bytes: Buffer | number): Promise<string> {
  const path = join(local, name);
  if (typeof bytes === "number") {
    // Written a MiB at a time: the test process itself should not hold the whole file.
    await pipeline(
      Readable.from((function* () {
        for (let left = bytes; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left));
      })()),
      createWriteStream(path),
    );
  } else await writeFile(path, bytes);
  return path;
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

function contentUrl(server: TestServer, path: string): string {
  return `http://127.0.0.1:${server.httpPort}/api/v1/files/content?path=${encodeURIComponent(path)}`;
}

/** What is in a folder of the account's space on disk, uploads in progress included. */
async function onDisk(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

async function ftpClient(server: TestServer, t: { after(fn: () => void): void }): Promise<Client> {
  const client = new Client(10_000);
  t.after(() => client.close());
  await client.access({ host: "127.0.0.1", port: server.ftpPort, user: "alice", password: PASSWORD });
  return client;
}

describe("files over HTTP", () => {
  let server: TestServer;
  let api: ApiClient;
  let token: string;
  let home: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, ftp: { listen: ["127.0.0.1:0"] } });
    api = ApiClient.forPort(server.httpPort);
    token = (await api.register("alice")).tokens.accessToken;
    home = join(server.dataDir, "files", "alice");
  });
  after(() => server.stop());

  const list = async (path = "/"): Promise<Listing> => {
    const reply = await api.get<Listing>(`/api/v1/files?path=${encodeURIComponent(path)}`, token);
    assert.equal(reply.status, 200, reply.text);
    return reply.body;
  };

  test("new folder, upload with curl (201 then 200), list, download with curl and a range, move, delete", async () => {
    const empty = await list();
    assert.deepEqual(empty, { path: "/", entries: [], usage: { usedBytes: 0, quotaBytes: 5 * 1024 ** 3 } });

    assert.deepEqual((await api.post("/api/v1/files/folders", { path: "/docs" }, token)).body, { path: "/docs" });
    assert.ok(isProblem(await api.post("/api/v1/files/folders", { path: "/docs" }, token), 409), "an existing name is 409");
    assert.ok(isProblem(await api.post("/api/v1/files/folders", { path: "/no/such/parent" }, token), 404));

    const name = "résumé été.txt";
    const content = await localFile("resume.txt", Buffer.from("bonjour, le monde\n".repeat(100)));
    const created = await curl(["-T", content, ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(created.status, 201, created.body.toString());
    const view = JSON.parse(created.body.toString()) as { path: string; name: string; type: string; size: number };
    assert.deepEqual({ ...view, modified: undefined }, { path: `/docs/${name}`, name, type: "file", size: 1800, modified: undefined });
    const replaced = await curl(["-T", content, ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(replaced.status, 200, "replacing a file is 200");

    const docs = await list("/docs");
    assert.equal(docs.path, "/docs");
    assert.deepEqual(docs.entries.map((e) => [e.name, e.type, e.size]), [[name, "file", 1800]]);
    assert.match(docs.entries[0]!.modified, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(docs.usage.usedBytes, 1800);
    assert.deepEqual((await list()).entries.map((e) => [e.name, e.type, e.size]), [["docs", "dir", 0]]);

    const downloaded = await curl([...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(downloaded.status, 200);
    assert.deepEqual(downloaded.body, await readFile(content));
    assert.equal(downloaded.headers.get("content-type"), "application/octet-stream");
    assert.equal(downloaded.headers.get("content-disposition"), `attachment; filename="r_sum_ _t_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.txt`);
    assert.equal(downloaded.headers.get("x-content-type-options"), "nosniff");
    // curl -O -J saves under the name the server gives; curl reads only the ASCII `filename`, browsers `filename*`.
    const saveDir = join(local, "saved");
    await mkdir(saveDir, { recursive: true });
    expectSuccess(await run("curl", ["-sS", "-f", "-O", "-J", "--output-dir", saveDir, ...bearer(token), contentUrl(server, `/docs/${name}`)]), "curl -O -J");
    assert.deepEqual(await readdir(saveDir), ["r_sum_ _t_.txt"]);
    assert.deepEqual(await readFile(join(saveDir, "r_sum_ _t_.txt")), await readFile(content));

    const range = await curl(["-r", "9-14", ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), "le mon");
    assert.equal(range.headers.get("content-range"), "bytes 9-14/1800");
    // If-Range (RFC 9110 13.1.5): with another date or entity tag, the whole file (the validators that keep
    // the range, a second after the file changed, are in http-files-edges.test.ts).
    const otherVersion = await curl(["-r", "9-14", "-H", "If-Range: Wed, 21 Oct 2015 07:28:00 GMT", ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(otherVersion.status, 200);
    assert.equal(otherVersion.body.length, 1800);
    const byTag = await curl(["-r", "9-14", "-H", 'If-Range: "some-etag"', ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(byTag.status, 200);
    const suffix = await curl(["-r", "-3", ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(suffix.body.toString(), "de\n");
    // Positions longer than any file (RFC 9110 14.1.1: a last position past the end is the end).
    const longEnd = await curl(["-r", "1790-123456789012345678901234567890", ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(longEnd.status, 206);
    assert.equal(longEnd.headers.get("content-range"), "bytes 1790-1799/1800");
    const longSuffix = await curl(["-r", "-0000000000000000000000003", ...bearer(token), contentUrl(server, `/docs/${name}`)]);
    assert.equal(longSuffix.body.toString(), "de\n", "leading zeros are not significant");
    const longStart = await fetch(contentUrl(server, `/docs/${name}`), { headers: { authorization: `Bearer ${token}`, range: "bytes=99999999999999999999-" } });
    assert.equal(longStart.status, 416);
    await longStart.text();
    const outside = await fetch(contentUrl(server, `/docs/${name}`), { headers: { authorization: `Bearer ${token}`, range: "bytes=5000-" } });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get("content-range"), "bytes */1800");
    await outside.text();
    const head = await fetch(contentUrl(server, `/docs/${name}`), { method: "HEAD", headers: { authorization: `Bearer ${token}` } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "1800");
    assert.equal(await head.text(), "");

    assert.ok(isProblem(await api.get(`/api/v1/files/content?path=/docs`, token), 409), "a folder cannot be downloaded");
    assert.ok(isProblem(await api.get(`/api/v1/files/content?path=/docs/nothing`, token), 404));

    // Move / rename: into another folder, never over something, never into a missing folder.
    await api.post("/api/v1/files/folders", { path: "/archive" }, token);
    assert.deepEqual((await api.post("/api/v1/files/move", { from: `/docs/${name}`, to: "/archive/cv.txt" }, token)).body, { path: "/archive/cv.txt" });
    assert.deepEqual((await list("/docs")).entries, []);
    await api.request("PUT", "/api/v1/files/content?path=/docs/other.txt", { token, raw: "other" });
    assert.ok(isProblem(await api.post("/api/v1/files/move", { from: "/docs/other.txt", to: "/archive/cv.txt" }, token), 409), "nothing is replaced");
    assert.equal((await readFile(join(home, "archive", "cv.txt"))).length, 1800);
    assert.ok(isProblem(await api.post("/api/v1/files/move", { from: "/docs/other.txt", to: "/missing/x.txt" }, token), 404));
    const intoItself = await api.post("/api/v1/files/move", { from: "/archive", to: "/archive/inside" }, token);
    assert.ok(isProblem(intoItself, 400), "a folder into itself");
    assert.equal((intoItself.body as { detail: string }).detail, "A folder cannot be moved into itself");
    assert.deepEqual((await api.post("/api/v1/files/move", { from: "/archive", to: "/kept" }, token)).body, { path: "/kept" });

    // Delete: a file; a folder only when empty, or with recursive=true; never the root.
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/docs/other.txt", { token })).status, 204);
    assert.ok(isProblem(await api.request("DELETE", "/api/v1/files?path=/kept", { token }), 409), "a folder with content");
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/docs", { token })).status, 204, "an empty folder");
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/kept&recursive=true", { token })).status, 204);
    assert.ok(isProblem(await api.request("DELETE", "/api/v1/files?path=/", { token }), 403));
    assert.ok(isProblem(await api.request("DELETE", "/api/v1/files?path=/&recursive=true", { token }), 403));
    assert.ok(isProblem(await api.request("DELETE", "/api/v1/files?path=/gone", { token }), 404));
    assert.deepEqual(await list(), { path: "/", entries: [], usage: { usedBytes: 0, quotaBytes: 5 * 1024 ** 3 } });
  });

  test("a file uploaded over HTTP is read back over FTP, and one uploaded over FTP is downloaded over HTTP, in one quota", async (t) => {
    const ftp = await ftpClient(server, t);
    const fromHttp = await localFile("from-http.bin", 300_000);
    assert.equal((await curl(["-T", fromHttp, ...bearer(token), contentUrl(server, "/from http.bin")])).status, 201);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (chunk: Buffer) => chunks.push(chunk));
    await ftp.downloadTo(sink, "/from http.bin");
    assert.deepEqual(Buffer.concat(chunks), await readFile(fromHttp));

    const fromFtp = await localFile("from-ftp.bin", 200_000);
    await ftp.ensureDir("/ftp dir");
    await ftp.uploadFrom(fromFtp, "/ftp dir/ünïcødé.bin");
    const back = await curl([...bearer(token), contentUrl(server, "/ftp dir/ünïcødé.bin")]);
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, await readFile(fromFtp));
    const root = await list();
    assert.deepEqual(root.entries.map((e) => e.name), ["from http.bin", "ftp dir"]);
    assert.equal(root.usage.usedBytes, 500_000, "both doors count in one usage figure");

    // A change through one door is seen by the other.
    assert.equal((await api.request("DELETE", `/api/v1/files?path=${encodeURIComponent("/ftp dir")}&recursive=true`, { token })).status, 204);
    assert.deepEqual((await ftp.list("/")).map((f) => f.name), ["from http.bin"]);
    await ftp.remove("/from http.bin");
    assert.deepEqual(await list(), { path: "/", entries: [], usage: { usedBytes: 0, quotaBytes: 5 * 1024 ** 3 } });
  });

  test("paths stay in the account's space: .., absolute tricks, NUL, and links out of it are refused", async () => {
    await mkdir(join(home, "inside"), { recursive: true });
    await writeFile(join(home, "inside", "secret.txt"), "mine");
    await symlink("/etc", join(home, "etc-link"));
    await symlink("/etc/hostname", join(home, "hostname-link"));
    const escapes = ["/../../../../etc/hostname", "../../etc/hostname", "//etc/hostname", "/inside/../../../etc/hostname", "/etc-link/hostname", "/hostname-link", "..\\..\\etc\\hostname"];
    for (const path of escapes) {
      const reply = await api.get(`/api/v1/files/content?path=${encodeURIComponent(path)}`, token);
      assert.ok(isProblem(reply, 404), `${path}: ${reply.status} ${reply.text}`);
    }
    assert.ok(isProblem(await api.get(`/api/v1/files?path=${encodeURIComponent("/etc-link")}`, token), 404), "a link out is not listed through");
    assert.ok(isProblem(await api.get("/api/v1/files/content?path=/inside/secret%00.txt", token), 400), "NUL");
    assert.ok(isProblem(await api.get("/api/v1/files/content?path=/inside/a%0Ab", token), 400), "LF");
    // Writes through a link out of the space, or with .. above the root, never land outside.
    assert.ok(isProblem(await api.request("PUT", `/api/v1/files/content?path=${encodeURIComponent("/etc-link/cmy-test")}`, { token, raw: "x" }), 404));
    assert.ok(isProblem(await api.post("/api/v1/files/folders", { path: "/etc-link/cmy-dir" }, token), 404));
    assert.ok(isProblem(await api.post("/api/v1/files/move", { from: "/inside/secret.txt", to: "/etc-link/stolen" }, token), 404));
    const climbed = await api.request("PUT", `/api/v1/files/content?path=${encodeURIComponent("/../../outside.txt")}`, { token, raw: "x" });
    assert.equal(climbed.status, 201, "'..' above the root is the root");
    assert.equal((climbed.body as { path: string }).path, "/outside.txt");
    await stat(join(home, "outside.txt"));
    await assert.rejects(stat(join(server.dataDir, "files", "outside.txt")));
    await assert.rejects(stat(join(server.dataDir, "outside.txt")));
    // Links are not shown: they could only be followed back out or in circles.
    assert.deepEqual((await list()).entries.map((e) => e.name), ["inside", "outside.txt"]);
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/outside.txt", { token })).status, 204);
    // Made on disk behind the server's back (not counted), removed the same way.
    for (const name of ["inside", "etc-link", "hostname-link"]) await rm(join(home, name), { recursive: true });
  });

  test("a name as long as the file system takes (250 bytes) uploads; a longer one is 400 invalid-path, not a 500", async () => {
    const long = `/${"a".repeat(250)}`;
    const stored = await api.request("PUT", `/api/v1/files/content?path=${encodeURIComponent(long)}`, { token, raw: "long name" });
    assert.equal(stored.status, 201, stored.text);
    assert.equal(await readFile(join(home, long.slice(1)), "utf8"), "long name");
    const tooLong = await api.request("PUT", `/api/v1/files/content?path=${encodeURIComponent(`/${"b".repeat(300)}`)}`, { token, raw: "x" });
    assert.ok(isProblem(tooLong, 400), `${tooLong.status} ${tooLong.text}`);
    assert.ok(isProblem(await api.post("/api/v1/files/folders", { path: `/${"c".repeat(300)}` }, token), 400));
    assert.equal((await api.request("DELETE", `/api/v1/files?path=${encodeURIComponent(long)}`, { token })).status, 204);
  });

  test("no token, no files: every route is 401 for a caller without an account's access token", async () => {
    const routes: Array<[string, string, RequestInit?]> = [
      ["GET", "/api/v1/files"],
      ["GET", "/api/v1/files/content?path=/x"],
      ["PUT", "/api/v1/files/content?path=/x", { body: "data" }],
      ["POST", "/api/v1/files/move", { body: JSON.stringify({ from: "/a", to: "/b" }), headers: { "content-type": "application/json" } }],
      ["DELETE", "/api/v1/files?path=/x"],
      ["POST", "/api/v1/files/folders", { body: JSON.stringify({ path: "/a" }), headers: { "content-type": "application/json" } }],
      ["POST", "/api/v1/shares", { body: JSON.stringify({ path: "/a" }), headers: { "content-type": "application/json" } }],
    ];
    for (const [method, path, init] of routes) {
      for (const authorization of [undefined, "Bearer not.a.token", `Basic ${Buffer.from(`alice:${PASSWORD}`).toString("base64")}`]) {
        const response = await fetch(`${api.base}${path}`, { ...init, method, headers: { ...(init?.headers as Record<string, string>), ...(authorization && { authorization }) } });
        const text = await response.text();
        assert.equal(response.status, 401, `${method} ${path} with ${authorization ?? "nothing"}: ${text}`);
        assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
      }
    }
    assert.deepEqual(await onDisk(home), [], "nothing was written");
  });

  test("an upload cut off by the client leaves nothing, and a file it was replacing stays whole", async () => {
    await api.request("PUT", "/api/v1/files/content?path=/kept.txt", { token, raw: "the old content" });
    for (const target of ["/cut.bin", "/kept.txt"]) {
      const socket = net.connect(server.httpPort, "127.0.0.1");
      socket.on("error", () => {});
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(`PUT /api/v1/files/content?path=${encodeURIComponent(target)} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${10 * MiB}\r\n\r\n`);
      socket.write(randomBytes(2 * MiB));
      // The bytes reach the disk (a hidden temporary file) while the body is still coming...
      await waitFor(async () => {
        for (const name of await onDisk(home)) if (isTemporaryUpload(name) && (await stat(join(home, name))).size > 0) return true;
        return false;
      }, { what: "the upload's temporary file" });
      // ...and the client goes away before the end.
      socket.destroy();
      await waitFor(async () => (await onDisk(home)).every((name) => !isTemporaryUpload(name)), { what: "the temporary file to be removed" });
    }
    assert.deepEqual(await onDisk(home), ["kept.txt"]);
    assert.equal(await readFile(join(home, "kept.txt"), "utf8"), "the old content");
    assert.equal((await list()).usage.usedBytes, 15);
    await api.request("DELETE", "/api/v1/files?path=/kept.txt", { token });
  });

  test("a folder deleted under an upload in progress takes off the usage only what was stored in it, not the upload's reserved bytes", async () => {
    assert.equal((await api.post("/api/v1/files/folders", { path: "/busy" }, token)).status, 201);
    assert.equal((await api.request("PUT", "/api/v1/files/content?path=/busy/small.txt", { token, raw: "stored" })).status, 201);
    const before = (await list()).usage.usedBytes;
    const socket = net.connect(server.httpPort, "127.0.0.1");
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`PUT /api/v1/files/content?path=${encodeURIComponent("/busy/big.bin")} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${4 * MiB}\r\n\r\n`);
    socket.write(randomBytes(2 * MiB));
    await waitFor(async () => {
      for (const name of await onDisk(join(home, "busy"))) if (isTemporaryUpload(name) && (await stat(join(home, "busy", name))).size > 0) return true;
      return false;
    }, { what: "the upload's temporary file" });
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/busy&recursive=true", { token })).status, 204);
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (answer += chunk));
    socket.write(randomBytes(2 * MiB));
    await waitFor(() => /^HTTP\/1\.1 \d{3} /.test(answer), { timeoutMs: 10_000, what: "the upload's answer" });
    socket.destroy();
    // What the folder held (one 6-byte file) went; the upload's bytes were never counted, so
    // the next file stored is counted from there (a figure below zero would show as 0, then
    // leave room past the quota).
    assert.equal((await api.request("PUT", "/api/v1/files/content?path=/after.bin", { token, raw: "x".repeat(1000) })).status, 201);
    assert.equal((await list()).usage.usedBytes, before - 6 + 1000);
    await api.request("DELETE", "/api/v1/files?path=/after.bin", { token });
  });

  test("a 20 MiB upload is streamed: on disk while it arrives, and the server's memory does not grow with it", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const big = await localFile("big.bin", 20 * MiB);
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    let onDiskWhileArriving = 0;
    let finished = false;
    // --limit-rate: the upload lasts a few seconds, so there is a "while" to look at.
    const upload = curl(["--limit-rate", "8M", "-T", big, ...bearer(token), contentUrl(server, "/big.bin")]).finally(() => (finished = true));
    await waitFor(
      async () => {
        gc();
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        if (!finished) {
          for (const name of await onDisk(home)) {
            if (isTemporaryUpload(name)) onDiskWhileArriving = Math.max(onDiskWhileArriving, (await stat(join(home, name)).catch(() => ({ size: 0 }))).size);
          }
        }
        return finished;
      },
      { timeoutMs: 60_000, intervalMs: 20, what: "the upload to finish" },
    );
    const reply = await upload;
    assert.equal(reply.status, 201, reply.body.toString());
    assert.equal(await sha256(join(home, "big.bin")), await sha256(big));
    assert.ok(onDiskWhileArriving >= 4 * MiB, `bytes were on disk before the upload ended (${onDiskWhileArriving})`);
    // Buffers alive at any sample stayed far below the file's size: the body was never held whole.
    assert.ok(peak - baseline < 8 * MiB, `buffer memory grew by ${((peak - baseline) / MiB).toFixed(1)} MiB`);
    await api.request("DELETE", "/api/v1/files?path=/big.bin", { token });
  });
});

describe("file quotas over HTTP", () => {
  let server: TestServer;
  let api: ApiClient;
  let token: string;
  let home: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, ftp: { listen: ["127.0.0.1:0"] }, files: { quotaBytes: 6 * MiB, maxFileBytes: 3 * MiB, quotaFiles: 4 } });
    api = ApiClient.forPort(server.httpPort);
    token = (await api.register("alice")).tokens.accessToken;
    home = join(server.dataDir, "files", "alice");
  });
  after(() => server.stop());

  const usage = async (): Promise<Listing["usage"]> => (await api.get<Listing>("/api/v1/files", token)).body.usage;

  test("over the quota or the file size limit: 413, by declared length and while streaming, with nothing left behind", async (t) => {
    const two = await localFile("two.bin", 2 * MiB);
    for (const name of ["/one.bin", "/two.bin"]) assert.equal((await curl(["-T", two, ...bearer(token), contentUrl(server, name)])).status, 201);
    assert.deepEqual(await usage(), { usedBytes: 4 * MiB, quotaBytes: 6 * MiB });

    const tooLarge = await localFile("too-large.bin", 3 * MiB + 1);
    const overQuota = await localFile("over-quota.bin", 2.5 * MiB);
    const cases: Array<[string, string, string, "declared" | "chunked"]> = [
      ["declared, too large", tooLarge, "file-too-large", "declared"],
      ["declared, over quota", overQuota, "quota-exceeded", "declared"],
      ["streamed, over quota", overQuota, "quota-exceeded", "chunked"],
    ];
    for (const [what, file, problem, mode] of cases) {
      // chunked: no Content-Length, so the limit can only be found while the bytes arrive.
      const args = mode === "chunked" ? ["-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`] : ["-T", file];
      const reply = await curl([...args, ...bearer(token), contentUrl(server, "/new.bin")]);
      assert.equal(reply.status, 413, `${what}: ${reply.status} ${reply.body.toString()}`);
      assert.match(reply.headers.get("content-type") ?? "", /^application\/problem\+json/);
      assert.equal((JSON.parse(reply.body.toString()) as { type: string }).type, `urn:cmymessage:problem:${problem}`, what);
      assert.deepEqual(await onDisk(home), ["one.bin", "two.bin"], `${what}: nothing left behind`);
      assert.deepEqual(await usage(), { usedBytes: 4 * MiB, quotaBytes: 6 * MiB }, what);
    }

    // Replacing a file needs room for the whole new one: the old one stays on disk beside it until it is complete.
    const replacing = await curl(["-T", overQuota, ...bearer(token), contentUrl(server, "/one.bin")]);
    assert.equal(replacing.status, 413, "4 MiB stored + 2.5 MiB on their way > 6 MiB");
    assert.equal((JSON.parse(replacing.body.toString()) as { type: string }).type, "urn:cmymessage:problem:quota-exceeded");
    assert.deepEqual(await onDisk(home), ["one.bin", "two.bin"]);
    assert.equal((await stat(join(home, "one.bin"))).size, 2 * MiB, "the file replaced stays whole");
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/two.bin", { token })).status, 204);
    assert.equal((await curl(["-T", overQuota, ...bearer(token), contentUrl(server, "/one.bin")])).status, 200);
    assert.equal((await usage()).usedBytes, 2.5 * MiB);
    // Too large while streaming, with room in the quota: found once the bytes pass files.maxFileBytes.
    const streamed = await curl(["-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${tooLarge}`, ...bearer(token), contentUrl(server, "/new.bin")]);
    assert.equal(streamed.status, 413);
    assert.equal((JSON.parse(streamed.body.toString()) as { type: string }).type, "urn:cmymessage:problem:file-too-large");
    assert.deepEqual(await onDisk(home), ["one.bin"]);

    // The number of files has its own quota.
    for (const name of ["/a", "/b", "/c"]) assert.equal((await api.request("PUT", `/api/v1/files/content?path=${name}`, { token, raw: "x" })).status, 201);
    assert.ok(isProblem(await api.request("PUT", "/api/v1/files/content?path=/d", { token, raw: "x" }), 413), "quotaFiles");

    // FTP sees the same quota: what HTTP stored counts against an FTP upload.
    const ftp = await ftpClient(server, t);
    await assert.rejects(ftp.uploadFrom(overQuota, "/via-ftp.bin"), /552/);
    assert.deepEqual(await onDisk(home), ["a", "b", "c", "one.bin"]);
  });
});

describe("parallel PUTs replacing one file", () => {
  const QUOTA = MiB;
  let server: TestServer;
  let token: string;
  let home: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, files: { quotaBytes: QUOTA } });
    token = (await ApiClient.forPort(server.httpPort).register("alice")).tokens.accessToken;
    home = join(server.dataDir, "files", "alice");
  });
  after(() => server.stop());

  test("never put more than files.quotaBytes on disk (the file replaced stays until each is complete): those past it get 413", async () => {
    assert.equal((await curl(["-T", await localFile("f-400k.bin", 400 * 1024), ...bearer(token), contentUrl(server, "/f.bin")])).status, 201);
    // Each declares 300 KiB and sends 200 KiB, then waits: two fit beside f.bin (400 + 2 × 300 KiB), a third does not.
    const [uploads, declared, first] = [4, 300 * 1024, 200 * 1024];
    const sockets = await Promise.all(
      Array.from({ length: uploads }, async () => {
        const socket = net.connect(server.httpPort, "127.0.0.1");
        socket.on("error", () => {});
        await new Promise((resolve) => socket.once("connect", resolve));
        const entry = { socket, answer: "" };
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => (entry.answer += chunk));
        socket.write(`PUT /api/v1/files/content?path=%2Ff.bin HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${declared}\r\n\r\n`);
        socket.write(randomBytes(first));
        return entry;
      }),
    );
    // Held open: every upload is either answered (refused) or has its first bytes in its temporary file.
    await waitFor(
      async () => {
        let whole = 0;
        for (const name of (await onDisk(home)).filter(isTemporaryUpload)) if ((await stat(join(home, name)).catch(() => null))?.size === first) whole++;
        return sockets.filter((s) => /^HTTP\/1\.1 \d{3} /.test(s.answer)).length + whole === uploads;
      },
      { timeoutMs: 10_000, what: "every upload to be refused or to hold its first bytes" },
    );
    const held = await measureUsage(home);
    assert.ok(held.bytes <= QUOTA, `${held.bytes} bytes on disk with the uploads held open (files.quotaBytes ${QUOTA})`);
    const refused = sockets.filter((s) => s.answer !== "");
    assert.ok(refused.length >= uploads - 2, `${refused.length} refused: at most two fit beside f.bin`);
    for (const { answer } of refused) assert.match(answer, /^HTTP\/1\.1 413 [^]*quota-exceeded/);
    for (const going of sockets.filter((s) => s.answer === "")) {
      going.socket.write(randomBytes(declared - first));
      await waitFor(() => /^HTTP\/1\.1 \d{3} /.test(going.answer), { timeoutMs: 10_000, what: "the upload's answer" });
      assert.match(going.answer, /^HTTP\/1\.1 200 /);
    }
    for (const { socket } of sockets) socket.destroy();
    assert.equal((await stat(join(home, "f.bin"))).size, declared);
    assert.deepEqual((await onDisk(home)).filter(isTemporaryUpload), []);
    const listed = await ApiClient.forPort(server.httpPort).get<Listing>("/api/v1/files", token);
    assert.equal(listed.body.usage.usedBytes, (await measureUsage(home)).bytes, "the recorded usage is what is on disk");
  });
});
