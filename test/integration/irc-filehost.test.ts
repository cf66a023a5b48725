/**
 * FILEHOST for IRC clients: the ISUPPORT token (draft/FILEHOST and soju.im/FILEHOST)
 * names the upload URL; curl POSTs a file there with Basic or Bearer credentials,
 * as gamja or goguma would, and follows the Location it gets back. Guests and wrong
 * credentials are refused (the brute-force guard counts Basic failures), uploads
 * count in the account's quota, and the link opens for a channel once the uploader
 * posts it there.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RawClient } from "../support/raw-client.js";
import { IrcLibClient } from "../support/account-server.js";
import { ApiClient, ircLogin, PASSWORD } from "../support/http-client.js";
import { curl, type CurlReply } from "../support/curl.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { waitFor } from "../support/wait.js";

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2000)]);

interface Listing {
  entries: Array<{ name: string; type: string; size: number }>;
  usage: { usedBytes: number; quotaBytes: number | null };
}

let local: string;
before(async () => {
  local = await mkdtemp(join(tmpdir(), "cmy-filehost-"));
});
after(async () => {
  await rm(local, { recursive: true, force: true });
});

async function file(name: string, bytes: Buffer): Promise<string> {
  const path = join(local, name);
  await writeFile(path, bytes);
  return path;
}

/** The 005 token `name=value` a freshly registered raw client is told, or null. */
async function isupport(port: number, name: string): Promise<string | null> {
  const client = await RawClient.register(port, `probe${randomBytes(3).toString("hex")}`);
  try {
    // register() resolves at the end of the welcome burst: every 005 line is in.
    for (const line of client.lines.filter((l) => / 005 /.test(l))) {
      for (const token of line.split(" ")) if (token.startsWith(`${name}=`)) return token.slice(name.length + 1);
    }
    return null;
  } finally {
    client.close();
  }
}

const basic = (name: string, password = PASSWORD): string[] => ["-u", `${name}:${password}`];
const today = (): string => new Date().toISOString().slice(0, 10);

describe("FILEHOST", () => {
  let server: TestServer;
  let api: ApiClient;
  let uploadUrl: string;
  /** curl reaches the advertised host name (server.name) on loopback. */
  let resolve: string[];
  const tokens: Record<string, string> = {};

  before(async () => {
    server = await startTestServer({
      http: { listen: ["127.0.0.1:0"] },
      files: { quotaBytes: 64 * 1024 },
      auth: { bruteForce: { backoffBaseSeconds: 0.01, backoffMaxSeconds: 0.02, accountAddressLockoutAfter: 3 } },
    });
    api = ApiClient.forPort(server.httpPort);
    for (const name of ["alice", "bob", "guarded"]) tokens[name] = (await api.register(name)).tokens.accessToken;
    resolve = ["--resolve", `cmymessage.local:${server.httpPort}:127.0.0.1`];
  });
  after(() => server.stop());

  const post = (args: readonly string[], url = uploadUrl): Promise<CurlReply> => curl([...resolve, "-X", "POST", ...args, url]);
  const listing = async (who: string, path = `/uploads/${today()}`): Promise<Listing> => (await api.get<Listing>(`/api/v1/files?path=${encodeURIComponent(path)}`, tokens[who])).body;

  test("ISUPPORT names the upload URL, derived from server.name and the HTTP port; irc-framework reads it", async () => {
    const value = await isupport(server.port, "draft/FILEHOST");
    assert.equal(value, `http://cmymessage.local:${server.httpPort}/api/v1/upload`);
    assert.equal(await isupport(server.port, "soju.im/FILEHOST"), value, "the name gamja and goguma read");
    uploadUrl = value!;
    const library = await IrcLibClient.connect(server.port, "framework");
    try {
      assert.equal(library.client.network.supports("draft/FILEHOST"), value);
    } finally {
      await library.close();
    }
    const options = await curl([...resolve, "-X", "OPTIONS", uploadUrl]);
    assert.equal(options.status, 204);
    assert.equal(options.headers.get("accept-post"), "*/*");
    assert.match(options.headers.get("allow") ?? "", /POST/);
  });

  test("curl with Basic credentials: 201, Location is the file's link, stored under /uploads/<day>/, a taken name gets a suffix", async () => {
    const picture = await file("cat.png", PNG);
    const first = await post([...basic("alice"), "-H", "Content-Type: image/png", "-H", 'Content-Disposition: attachment; filename="cat.png"', "--data-binary", `@${picture}`]);
    assert.equal(first.status, 201, first.body.toString());
    const location = first.headers.get("location") ?? "";
    assert.match(location, new RegExp(`^http://cmymessage\\.local:${server.httpPort}/f/[A-Za-z0-9_-]{22}/cat\\.png$`));

    // The link works as given (with the uploader's token), as an inline image.
    const opened = await curl([...resolve, "-H", `Authorization: Bearer ${tokens["alice"]}`, location]);
    assert.equal(opened.status, 200);
    assert.deepEqual(opened.body, PNG);
    assert.equal(opened.headers.get("content-type"), "image/png");

    const second = await post([...basic("alice"), "-H", 'Content-Disposition: attachment; filename="cat.png"', "--data-binary", `@${picture}`]);
    assert.equal(second.status, 201);
    assert.match(second.headers.get("location") ?? "", /\/f\/[A-Za-z0-9_-]{22}\/cat-[0-9a-f]{6}\.png$/);
    const names = (await listing("alice")).entries.map((e) => e.name);
    assert.equal(names.length, 2);
    assert.ok(names.includes("cat.png") && names.some((n) => /^cat-[0-9a-f]{6}\.png$/.test(n)), names.join(", "));
  });

  test("curl with a Bearer token; names are cleaned of path parts and control characters, filename* is read, a type gives an extension", async () => {
    const auth = ["-H", `Authorization: Bearer ${tokens["bob"]}`];
    const cases: Array<[string[], RegExp]> = [
      [["-H", 'Content-Disposition: attachment; filename="../../etc/passwd"'], /\/passwd$/],
      [["-H", "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.txt"], /\/r%C3%A9sum%C3%A9%20final\.txt$/],
      [["-H", 'Content-Disposition: attachment; filename=".hidden"'], /\/hidden$/],
      [["-H", "Content-Type: image/png"], /\/upload\.png$/],
    ];
    for (const [headers, expected] of cases) {
      const reply = await post([...auth, ...headers, "--data-binary", "x"]);
      assert.equal(reply.status, 201, reply.body.toString());
      assert.match(reply.headers.get("location") ?? "", expected);
    }
    assert.deepEqual((await listing("bob")).entries.map((e) => e.name).sort(), ["hidden", "passwd", "résumé final.txt", "upload.png"]);
    assert.deepEqual((await listing("bob", "/")).entries.map((e) => e.name), ["uploads"], "nothing lands outside /uploads");
  });

  test("no account, no upload: no credentials, a wrong password, an unknown account, a bad token are 401; the guard throttles Basic", async () => {
    const before = (await listing("alice", "/")).usage.usedBytes;
    const refusals: Array<[string, string[]]> = [
      ["no credentials", []],
      ["wrong password", basic("alice", "not the password")],
      ["unknown account", basic("nobody")],
      ["not an account name", basic("#chan")],
      ["bad token", ["-H", "Authorization: Bearer not.a.token"]],
      ["another scheme", ["-H", "Authorization: Digest x"]],
    ];
    for (const [what, args] of refusals) {
      const reply = await post([...args, "-H", 'Content-Disposition: attachment; filename="x.txt"', "--data-binary", "data"]);
      assert.equal(reply.status, 401, what);
      // A Bearer challenge only: a Basic one would make browsers prompt, then replay the password cross-site.
      assert.equal(reply.headers.get("www-authenticate"), 'Bearer realm="cmymessage"', what);
      assert.match(reply.headers.get("content-type") ?? "", /^application\/problem\+json/, what);
    }
    assert.equal((await listing("alice", "/")).usage.usedBytes, before, "nothing stored");

    // Basic goes through the brute-force guard shared with IRC and FTP: locked after 3 failures, even with the right password.
    for (let i = 0; i < 3; i++) {
      await waitFor(async () => (await post([...basic("guarded", "wrong"), "--data-binary", "x"])).status === 401, { what: "a counted failure" });
    }
    const locked = await post([...basic("guarded"), "--data-binary", "x"]);
    assert.equal(locked.status, 429);
    assert.match(locked.headers.get("retry-after") ?? "", /^\d+$/);
  });

  test("uploads count in the account's quota: over it, 413 and nothing stored", async () => {
    const usedBefore = (await listing("bob", "/")).usage;
    assert.equal(usedBefore.quotaBytes, 64 * 1024);
    const big = await file("big.bin", randomBytes(40 * 1024));
    const auth = ["-H", `Authorization: Bearer ${tokens["bob"]}`, "-H", 'Content-Disposition: attachment; filename="big.bin"'];
    assert.equal((await post([...auth, "--data-binary", `@${big}`])).status, 201);
    assert.equal((await listing("bob", "/")).usage.usedBytes, usedBefore.usedBytes + 40 * 1024);
    for (const chunked of [false, true]) {
      const reply = await post([...auth, ...(chunked ? ["-H", "Transfer-Encoding: chunked"] : []), "--data-binary", `@${big}`]);
      assert.equal(reply.status, 413, reply.body.toString());
      assert.equal((JSON.parse(reply.body.toString()) as { type: string }).type, "urn:cmymessage:problem:quota-exceeded");
    }
    assert.equal((await listing("bob", "/")).usage.usedBytes, usedBefore.usedBytes + 40 * 1024);
    assert.equal((await listing("bob")).entries.filter((e) => e.name.startsWith("big")).length, 1);
  });

  test("the link opens for a channel once the uploader posts it there from IRC", async () => {
    const reply = await post([...basic("alice"), "-H", 'Content-Disposition: attachment; filename="for-bob.txt"', "--data-binary", "hello bob"]);
    const location = reply.headers.get("location") ?? "";
    const asBob = (): Promise<CurlReply> => curl([...resolve, "-H", `Authorization: Bearer ${tokens["bob"]}`, location]);
    assert.equal((await asBob()).status, 404);
    const alice = await ircLogin(server.port, "alice");
    try {
      alice.send(`PRIVMSG #general :${location}`);
      const opened = await waitFor(async () => {
        const attempt = await asBob();
        return attempt.status === 200 && attempt;
      }, { what: "bob to open the link" });
      assert.equal(opened.body.toString(), "hello bob");
      assert.equal(opened.headers.get("content-type"), "application/octet-stream");
    } finally {
      alice.close();
    }
  });
});

describe("FILEHOST advertising", () => {
  let servers: TestServer[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    servers = [];
  });

  test("http.publicUrl gives the URL; without the web door there is no token", async () => {
    const configured = await startTestServer({ http: { listen: ["127.0.0.1:0"], publicUrl: "https://chat.example.org/" } });
    servers.push(configured);
    assert.equal(await isupport(configured.port, "draft/FILEHOST"), "https://chat.example.org/api/v1/upload");
    const api = ApiClient.forPort(configured.httpPort);
    await api.register("alice");
    const reply = await curl(["-u", `alice:${PASSWORD}`, "--data-binary", "x", `${api.base}/api/v1/upload`]);
    assert.match(reply.headers.get("location") ?? "", /^https:\/\/chat\.example\.org\/f\/[A-Za-z0-9_-]{22}\/upload$/);

    const noHttp = await startTestServer();
    servers.push(noHttp);
    assert.equal(await isupport(noHttp.port, "draft/FILEHOST"), null);
    assert.equal(await isupport(noHttp.port, "soju.im/FILEHOST"), null);
  });
});
