/**
 * File shares, end to end: a link (`POST /api/v1/shares`) opens for its owner;
 * posted by the owner over IRC into a channel or a direct conversation, it opens
 * for that conversation's readers (history's read rule) with a Bearer token or the
 * cmy_access cookie (curl -b), and for nobody else (404, the same as an unknown
 * id); someone else posting it grants nothing; a moved file kills the link. Images
 * are inline, the rest are attachments, always sandboxed. On SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachDatabase, openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { ApiClient, ircLogin, isProblem, PASSWORD } from "../support/http-client.js";
import { curl } from "../support/curl.js";
import { rawSync } from "../support/fixture.js";
import type { RawClient } from "../support/raw-client.js";
import { startTestServer } from "../support/test-server.js";
import { waitFor } from "../support/wait.js";
import type { SessionView } from "../../src/http/schemas.js";

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("\x00\x00\x00\x0dIHDR fake image data")]);
const SANDBOX = "sandbox; default-src 'none'";

interface Share {
  id: string;
  url: string;
}

forEachDatabase("file shares", (kind) => {
  const scope = suiteScope();
  let fixture: AccountsFixture;
  let api: ApiClient;
  const tokens: Record<string, string> = {};
  const irc: Record<string, RawClient> = {};
  const shares: Record<string, Share> = {};

  before(async () => {
    fixture = await openFixture(scope, { http: { listen: ["127.0.0.1:0"] } }, { kind });
    api = ApiClient.forPort(fixture.server.http[0]!.port);
    for (const name of ["alice", "bob", "carol", "dave"]) tokens[name] = (await api.register(name)).tokens.accessToken;
    for (const [path, body] of [
      ["/pics/cat.png", PNG],
      ["/pics/fake.png", Buffer.from("<html><script>alert(1)</script></html>")],
      ["/docs/notes.txt", Buffer.from("meeting notes")],
      ["/docs/other.txt", Buffer.from("other notes")],
    ] as const) {
      await api.post("/api/v1/files/folders", { path: path.slice(0, path.lastIndexOf("/")) }, tokens["alice"]);
      const put = await fetch(`${api.base}/api/v1/files/content?path=${encodeURIComponent(path)}`, { method: "PUT", headers: { authorization: `Bearer ${tokens["alice"]}` }, body });
      assert.equal(put.status, 201, await put.text());
    }
  });
  after(() => scope.run());

  const share = async (owner: string, path: string): Promise<Share> => {
    const reply = await api.post<Share>("/api/v1/shares", { path }, tokens[owner]);
    assert.equal(reply.status, 201, reply.text);
    return reply.body;
  };
  const open = (url: string, who?: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${api.base}${url}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...(who && { authorization: `Bearer ${tokens[who]}` }) } });
  const statusFor = async (url: string, who: string): Promise<number> => {
    const response = await open(url, who);
    await response.arrayBuffer();
    return response.status;
  };
  const opensFor = (url: string, who: string): Promise<true> => waitFor(async () => (await statusFor(url, who)) === 200 || undefined, { what: `${who} to open ${url}` });
  const ircUser = async (nick: string): Promise<RawClient> => (irc[nick] ??= fixture.track(await ircLogin(fixture.port, nick)));

  test("a new share opens for its owner only: inline image with its type, sandboxed, HEAD too; anyone else gets the unknown-id 404", async () => {
    shares["cat"] = await share("alice", "/pics/cat.png");
    assert.match(shares["cat"].id, /^[A-Za-z0-9_-]{22}$/, "128 bits, base64url");
    assert.equal(shares["cat"].url, `/f/${shares["cat"].id}/cat.png`);
    assert.notEqual((await share("alice", "/pics/cat.png")).id, shares["cat"].id, "each share has its own id");

    const owner = await open(shares["cat"].url, "alice");
    assert.equal(owner.status, 200);
    assert.deepEqual(Buffer.from(await owner.arrayBuffer()), PNG);
    assert.equal(owner.headers.get("content-type"), "image/png");
    assert.equal(owner.headers.get("content-disposition"), `inline; filename="cat.png"; filename*=UTF-8''cat.png`);
    assert.equal(owner.headers.get("x-content-type-options"), "nosniff");
    assert.equal(owner.headers.get("content-security-policy"), SANDBOX);
    assert.equal(owner.headers.get("cache-control"), "private, no-cache");
    const head = await open(shares["cat"].url, "alice", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(PNG.length));
    assert.equal(await head.text(), "");
    // The name in the link is for people: the id alone decides.
    assert.equal(await statusFor(`/f/${shares["cat"].id}/another-name.bin`, "alice"), 200);

    const refused = await open(shares["cat"].url, "bob");
    const unknown = await open(`/f/AAAAAAAAAAAAAAAAAAAAAA/cat.png`, "bob");
    const malformed = await open(`/f/not-an-id/cat.png`, "bob");
    const texts = await Promise.all([refused, unknown, malformed].map((r) => r.text()));
    assert.deepEqual([refused.status, unknown.status, malformed.status], [404, 404, 404]);
    assert.equal(texts[0], texts[1], "a share one may not open looks exactly like one that does not exist");
    assert.equal(texts[1], texts[2]);
    assert.equal(refused.headers.get("content-security-policy"), SANDBOX, "refusals are sandboxed too");
    assert.equal(refused.headers.get("x-content-type-options"), "nosniff");

    // No credentials, or bad ones: 401 before the id is even looked at.
    assert.ok(isProblem(await api.get(shares["cat"].url), 401));
    assert.ok(isProblem(await api.get(shares["cat"].url, "not.a.token"), 401));
    assert.ok(isProblem(await api.get(`/f/AAAAAAAAAAAAAAAAAAAAAA/x`), 401));

    // Only files of one's own space can be shared.
    assert.ok(isProblem(await api.post("/api/v1/shares", { path: "/pics" }, tokens["alice"]), 409), "a folder");
    assert.ok(isProblem(await api.post("/api/v1/shares", { path: "/pics/none.png" }, tokens["alice"]), 404));
    assert.ok(isProblem(await api.post("/api/v1/shares", { path: "/pics/cat.png" }, tokens["bob"]), 404), "bob's space has no such file");
    assert.ok(isProblem(await api.post("/api/v1/shares", { path: "/../alice/pics/cat.png" }, tokens["bob"]), 404));
  });

  test("what is not an image (by name and signature) is an octet-stream attachment, sandboxed", async () => {
    for (const [path, name] of [
      ["/pics/fake.png", "fake.png"],
      ["/docs/notes.txt", "notes.txt"],
    ]) {
      const link = await share("alice", path!);
      const response = await open(link.url, "alice");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/octet-stream", path);
      assert.equal(response.headers.get("content-disposition"), `attachment; filename="${name}"; filename*=UTF-8''${name}`);
      assert.equal(response.headers.get("content-security-policy"), SANDBOX);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      await response.arrayBuffer();
    }
  });

  test("posted by its owner into a channel over IRC, it opens for the channel's readers (Bearer and cookie), 404 for others", async () => {
    const alice = await ircUser("alice");
    const bob = await ircUser("bob");
    await ircUser("carol");
    alice.send("JOIN #secret");
    alice.send("MODE #secret +s");
    await rawSync(alice);
    bob.send("JOIN #secret");
    await bob.waitFor(/ 366 bob #secret /);
    assert.equal(await statusFor(shares["cat"]!.url, "bob"), 404, "not yet posted");

    alice.send(`PRIVMSG #secret :look at this http://chat.example.org${shares["cat"]!.url}`);
    await bob.waitFor(/PRIVMSG #secret :look at this/);
    await opensFor(shares["cat"]!.url, "bob");

    // The cookie, as a browser sends it: set by a login with "cookie": true, sent to /f/ only.
    const login = await api.post<SessionView>("/api/v1/auth/login", { name: "bob", password: PASSWORD, cookie: true });
    const setCookie = login.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /^cmy_access=[A-Za-z0-9_.-]+; HttpOnly; SameSite=Strict; Path=\/f\/; Max-Age=(899|900)$/);
    assert.equal(setCookie.split(";")[0], `cmy_access=${login.body.tokens.accessToken}`);
    const withCookie = await curl(["-b", setCookie.split(";")[0]!, `${api.base}${shares["cat"]!.url}`]);
    assert.equal(withCookie.status, 200);
    assert.deepEqual(withCookie.body, PNG);
    assert.equal(withCookie.headers.get("content-type"), "image/png");

    // carol is in #general, not in the secret channel: she may not read it, so she may not open it.
    assert.equal(await statusFor(shares["cat"]!.url, "carol"), 404);
    const carolLogin = await api.post("/api/v1/auth/login", { name: "carol", password: PASSWORD, cookie: true });
    assert.equal((await curl(["-b", (carolLogin.headers.get("set-cookie") ?? "").split(";")[0]!, `${api.base}${shares["cat"]!.url}`])).status, 404);

    // An open channel is readable by every account (the history rule): posted there, any account may open it.
    shares["other"] = await share("alice", "/docs/other.txt");
    assert.equal(await statusFor(shares["other"].url, "dave"), 404);
    alice.send(`PRIVMSG #general :${api.base}${shares["other"].url}`);
    await opensFor(shares["other"].url, "dave");
  });

  test("posted in a direct conversation, the other party opens it, offline or not; a third account gets 404", async () => {
    const alice = await ircUser("alice");
    const bob = await ircUser("bob");
    const notes = await share("alice", "/docs/notes.txt");
    alice.send(`PRIVMSG bob :the notes: ${notes.url}`);
    await bob.waitFor(/PRIVMSG bob :the notes/);
    await opensFor(notes.url, "bob");
    const opened = await open(notes.url, "bob");
    assert.equal(await opened.text(), "meeting notes");
    assert.equal(opened.headers.get("content-disposition"), `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`);
    assert.equal(await statusFor(notes.url, "carol"), 404);

    // dave has no connection: the message is kept for him, and so is his access.
    const forDave = await share("alice", "/docs/notes.txt");
    alice.send(`NOTICE dave :${forDave.url}`);
    await opensFor(forDave.url, "dave");
    assert.equal(await statusFor(forDave.url, "carol"), 404);
    assert.equal(await statusFor(forDave.url, "bob"), 404, "bob's conversation with alice is another one");
  });

  test("someone else posting the owner's link grants nothing", async () => {
    const carol = await ircUser("carol");
    const dave = await ircUser("dave");
    const alices = await share("alice", "/pics/cat.png");
    carol.send("JOIN #cd");
    carol.send("MODE #cd +s");
    await rawSync(carol);
    dave.send("JOIN #cd");
    await dave.waitFor(/ 366 dave #cd /);
    carol.send(`PRIVMSG #cd :found this ${alices.url}`);
    carol.send(`PRIVMSG dave :and here ${alices.url}`);
    // A link carol does own, posted after: once it opens for dave, carol's earlier posts were handled.
    const put = await fetch(`${api.base}/api/v1/files/content?path=/mine.txt`, { method: "PUT", headers: { authorization: `Bearer ${tokens["carol"]}` }, body: "carol's" });
    assert.equal(put.status, 201);
    const carols = await share("carol", "/mine.txt");
    carol.send(`PRIVMSG #cd :mine ${carols.url}`);
    await opensFor(carols.url, "dave");
    assert.equal(await statusFor(alices.url, "dave"), 404);
    assert.equal(await statusFor(alices.url, "carol"), 404);
    assert.equal(await statusFor(alices.url, "alice"), 200);
  });

  test("a moved or deleted file: the link is dead for everyone, the owner too; moved back, it opens again", async () => {
    const url = shares["cat"]!.url;
    assert.equal((await api.post("/api/v1/files/move", { from: "/pics/cat.png", to: "/pics/cat2.png" }, tokens["alice"])).status, 200);
    assert.equal(await statusFor(url, "alice"), 404);
    assert.equal(await statusFor(url, "bob"), 404);
    assert.equal((await api.post("/api/v1/files/move", { from: "/pics/cat2.png", to: "/pics/cat.png" }, tokens["alice"])).status, 200);
    assert.equal(await statusFor(url, "bob"), 200);
    // A folder in its place is no file either.
    assert.equal((await api.post("/api/v1/files/move", { from: "/pics/cat.png", to: "/pics/cat2.png" }, tokens["alice"])).status, 200);
    assert.equal((await api.post("/api/v1/files/folders", { path: "/pics/cat.png" }, tokens["alice"])).status, 201);
    assert.equal(await statusFor(url, "alice"), 404);
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/pics/cat.png", { token: tokens["alice"] })).status, 204);
    assert.equal((await api.request("DELETE", "/api/v1/files?path=/pics/cat2.png", { token: tokens["alice"] })).status, 204);
    assert.equal(await statusFor(url, "alice"), 404);
  });

  test("the cookie: set by login, refresh and registration when asked, cleared by logout, accepted on /f/ only", async () => {
    const plain = await api.post<SessionView>("/api/v1/auth/login", { name: "dave", password: PASSWORD });
    assert.equal(plain.headers.get("set-cookie"), null, "only when asked");
    const refreshed = await api.post<SessionView>("/api/v1/auth/refresh", { refreshToken: plain.body.tokens.refreshToken, cookie: true });
    assert.equal(refreshed.status, 200);
    assert.equal((refreshed.headers.get("set-cookie") ?? "").split(";")[0], `cmy_access=${refreshed.body.tokens.accessToken}`);
    const registered = await api.post<SessionView>("/api/v1/accounts", { name: "erin", password: PASSWORD, cookie: true });
    assert.equal(registered.status, 201);
    assert.match(registered.headers.get("set-cookie") ?? "", /^cmy_access=[^;]+; HttpOnly; SameSite=Strict; Path=\/f\/; Max-Age=\d+$/);

    const cookie = (refreshed.headers.get("set-cookie") ?? "").split(";")[0]!;
    for (const [method, path] of [
      ["GET", "/api/v1/me"],
      ["GET", "/api/v1/files"],
      ["POST", "/api/v1/shares"],
      ["POST", "/api/v1/upload"],
    ] as const) {
      const reply = await curl(["-X", method, "-b", cookie, "-H", "Content-Type: application/json", "--data-binary", method === "POST" ? '{"path":"/x"}' : "", `${api.base}${path}`]);
      assert.equal(reply.status, 401, `${method} ${path} does not take the cookie`);
    }

    const logout = await api.post("/api/v1/auth/logout", { refreshToken: refreshed.body.tokens.refreshToken });
    assert.equal(logout.status, 204);
    assert.equal(logout.headers.get("set-cookie"), "cmy_access=; HttpOnly; SameSite=Strict; Path=/f/; Max-Age=0");
  });
});

test("the cookie is Secure when the request came over TLS, as a trusted proxy says with X-Forwarded-Proto", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"], trustProxy: true } });
  t.after(() => server.stop());
  const api = ApiClient.forPort(server.httpPort);
  await api.register("alice");
  const login = (headers: Record<string, string>) => api.request("POST", "/api/v1/auth/login", { json: { name: "alice", password: PASSWORD, cookie: true }, headers });
  assert.match((await login({ "x-forwarded-proto": "https" })).headers.get("set-cookie") ?? "", /; Max-Age=\d+; Secure$/);
  assert.doesNotMatch((await login({})).headers.get("set-cookie") ?? "", /Secure/);
});

test("an Authorization header of another scheme (Basic, which a browser sends for a user:password@ link) is no credential of /f/: the cookie opens the share, none is 401 unauthenticated", async (t) => {
  const server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  t.after(() => server.stop());
  const api = ApiClient.forPort(server.httpPort);
  const session = await api.post<SessionView>("/api/v1/accounts", { name: "alice", password: PASSWORD, cookie: true });
  assert.equal(session.status, 201, session.text);
  const cookie = (session.headers.get("set-cookie") ?? "").split(";")[0]!;
  const token = session.body.tokens.accessToken;
  const put = await fetch(`${api.base}/api/v1/files/content?path=%2Fcat.png`, { method: "PUT", headers: { authorization: `Bearer ${token}` }, body: PNG });
  assert.equal(put.status, 201, await put.text());
  const link = await api.post<Share>("/api/v1/shares", { path: "/cat.png" }, token);
  const url = `http://alice:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.httpPort}${link.body.url}`;

  const withCookie = await curl(["-b", cookie, url]);
  assert.equal(withCookie.status, 200, withCookie.body.toString());
  assert.deepEqual(withCookie.body, PNG);
  assert.equal(withCookie.headers.get("content-security-policy"), SANDBOX);

  const without = await curl([url]);
  assert.equal(without.status, 401);
  assert.equal((JSON.parse(without.body.toString("utf8")) as { type: string }).type, "urn:cmymessage:problem:unauthenticated");
  assert.equal(without.headers.get("www-authenticate"), 'Bearer realm="cmymessage"', "no error=: no token was sent (RFC 6750 §3.1)");
  assert.equal(without.headers.get("content-security-policy"), SANDBOX);

  // A Bearer header still comes first: an invalid one is invalid-token, whatever the cookie.
  const badBearer = await curl(["-b", cookie, "-H", "Authorization: Bearer not.a.token", `${api.base}${link.body.url}`]);
  assert.equal(badBearer.status, 401);
  assert.equal((JSON.parse(badBearer.body.toString("utf8")) as { type: string }).type, "urn:cmymessage:problem:invalid-token");
});
