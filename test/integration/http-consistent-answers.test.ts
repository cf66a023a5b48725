/**
 * Answers of the HTTP API that must not depend on how a newcomer got there, through a
 * real server: a bad before= is 400 whether or not the channel exists; Basic credentials
 * (curl -u, which the upload route takes), or any scheme but Bearer, on a route that takes
 * only a token are "send a token", not "your token expired"; a path named like an upload in
 * progress, as the jail resolves it, is refused for that reason.
 */
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, eventually, ircLogin, isProblem } from "../support/http-client.js";
import { bearer, curl } from "../support/curl.js";
import { rawSync } from "../support/fixture.js";

interface ProblemBody {
  type: string;
  detail: string;
}

const problemOf = (body: Buffer): ProblemBody => JSON.parse(body.toString("utf8")) as ProblemBody;

describe("HTTP API answers that do not depend on the way in", () => {
  let server: TestServer;
  let api: ApiClient;
  let token: string;
  let home: string;
  let upload: string;

  before(async () => {
    server = await startTestServer({ http: { listen: ["127.0.0.1:0"] }, history: { enabled: true } });
    api = ApiClient.forPort(server.httpPort);
    token = (await api.register("zed")).tokens.accessToken;
    home = join(server.dataDir, "files", "zed");
    upload = join(server.dataDir, "notes.txt");
    await writeFile(upload, "some notes\n");
  });
  after(() => server.stop());

  const contentUrl = (path: string): string => `http://127.0.0.1:${server.httpPort}/api/v1/files/content?path=${encodeURIComponent(path)}`;
  const onDisk = async (): Promise<string[]> => (await readdir(home).catch(() => [])).sort();

  test("before= in a form the routes do not take is 400 invalid-reference for a channel that does not exist too, not 404", async () => {
    const irc = await ircLogin(server.port, "zed");
    try {
      irc.send("JOIN #live");
      irc.send("PRIVMSG #live :something to page through");
      await rawSync(irc);
      await eventually(async () => assert.equal((await api.channelMessages("#live", token)).body.messages.length, 1));
      for (const channel of ["#live", "#nosuch"]) {
        const reply = await api.channelMessages(channel, token, "?before=2024-05");
        assert.ok(isProblem(reply, 400), `${channel}: ${reply.status} ${reply.text}`);
        assert.equal(reply.body.type, "urn:cmymessage:problem:invalid-reference", channel);
      }
      // A valid before= on a channel that does not exist is still the 404 it was.
      const missing = await api.channelMessages("#nosuch", token, "?before=2024-05-01");
      assert.ok(isProblem(missing, 404), missing.text);
      assert.equal(missing.body.type, "urn:cmymessage:problem:no-such-channel");
    } finally {
      irc.close();
    }
  });

  test("Basic credentials on the file routes (curl -u): 401 unauthenticated asking for a Bearer token, not invalid-token; nothing stored", async () => {
    const put = await curl(["-u", `zed:${PASSWORD}`, "-T", upload, contentUrl("/notes.txt")]);
    assert.equal(put.status, 401, put.body.toString());
    const problem = problemOf(put.body);
    assert.equal(problem.type, "urn:cmymessage:problem:unauthenticated", problem.detail);
    assert.match(problem.detail, /Authorization: Bearer <token>/);
    assert.doesNotMatch(problem.detail, /invalid or expired/);
    // A challenge without error="invalid_token": no token was sent (RFC 6750 3.1), and not Basic (a browser would prompt).
    assert.equal(put.headers.get("www-authenticate"), 'Bearer realm="cmymessage"');
    assert.deepEqual(await onDisk(), [], "nothing was stored");

    const list = await curl(["-u", `zed:${PASSWORD}`, `http://127.0.0.1:${server.httpPort}/api/v1/files`]);
    assert.equal(list.status, 401);
    assert.equal(problemOf(list.body).type, "urn:cmymessage:problem:unauthenticated");

    // A token that is no longer valid is still called so.
    const stale = await curl([...bearer("not.a.token"), "-T", upload, contentUrl("/notes.txt")]);
    assert.equal(stale.status, 401);
    assert.equal(problemOf(stale.body).type, "urn:cmymessage:problem:invalid-token");
    // And the token the message asks for works.
    assert.equal((await curl([...bearer(token), "-T", upload, contentUrl("/notes.txt")])).status, 201);
  });

  test("the reserved name is judged on the path as the jail resolves it: a name the path climbs out of is none of it, and no name it climbed out of is blamed", async () => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    assert.equal((await curl([...bearer(token), "-X", "POST", "-H", "Content-Type: application/json", "--data", '{"path":"/box"}', `${base}/api/v1/files/folders`])).status, 201);
    // The jail resolves this to /box: listed as /box, nothing said about uploads in progress.
    const listed = await curl([...bearer(token), `${base}/api/v1/files?path=${encodeURIComponent("/box/.upload-0123456789abcdef/..")}`]);
    assert.equal(listed.status, 200, listed.body.toString());
    assert.equal((JSON.parse(listed.body.toString("utf8")) as { path: string }).path, "/box");
    // Refused for .notes.upload-0123456789ab, the name the resolved path holds; .upload-0123456789abcdef, which ".." removed, is not named.
    const climbed = await curl([...bearer(token), "-X", "PUT", "--data-binary", "x", contentUrl("/box/.upload-0123456789abcdef/../.notes.upload-0123456789ab")]);
    assert.equal(climbed.status, 400, climbed.body.toString());
    const problem = problemOf(climbed.body);
    assert.equal(problem.type, "urn:cmymessage:problem:invalid-path");
    assert.match(problem.detail, /reserved for uploads in progress/);
    assert.ok(!problem.detail.includes(".upload-0123456789abcdef"), `blames a name the path does not hold once resolved: ${problem.detail}`);
    assert.deepEqual(await readdir(join(home, "box")), [], "nothing was stored");
  });

  test("any scheme but Bearer on a route that takes only a token (/me, a channel's history, a DM's, search, making a share): 401 unauthenticated, not invalid-token", async () => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    const routes = [
      ["GET", "/api/v1/me"],
      ["DELETE", "/api/v1/me/sessions"],
      ["GET", `/api/v1/channels/${encodeURIComponent("#live")}/messages`],
      ["GET", "/api/v1/dms/zed/messages"],
      ["GET", "/api/v1/search?q=notes"],
      ["POST", "/api/v1/shares"],
    ] as const;
    for (const [method, route] of routes) {
      for (const credentials of [["-u", `zed:${PASSWORD}`], ["-H", "Authorization: Token abc"], ["-H", "Authorization: Digest username=zed"]]) {
        const reply = await curl(["-X", method, ...credentials, `${base}${route}`]);
        const what = `${method} ${route} with ${credentials.join(" ")}`;
        assert.equal(reply.status, 401, `${what}: ${reply.body.toString()}`);
        const problem = problemOf(reply.body);
        assert.equal(problem.type, "urn:cmymessage:problem:unauthenticated", `${what}: ${problem.detail}`);
        assert.match(problem.detail, /Authorization: Bearer <token>/, what);
        assert.doesNotMatch(problem.detail, /invalid or expired/, what);
        assert.equal(reply.headers.get("www-authenticate"), 'Bearer realm="cmymessage"', what);
      }
    }
    // The scheme is case-insensitive (RFC 9110 11.1): a lower-case bearer with a bad token is still a token that is not valid.
    const stale = await curl(["-H", "Authorization: bearer not.a.token", `${base}/api/v1/me`]);
    assert.equal(stale.status, 401);
    assert.equal(problemOf(stale.body).type, "urn:cmymessage:problem:invalid-token");
    assert.equal(stale.headers.get("www-authenticate"), 'Bearer realm="cmymessage", error="invalid_token"');
    assert.equal((await curl(["-H", `Authorization: bearer ${token}`, `${base}/api/v1/me`])).status, 200);
    // POST /api/v1/upload still takes Basic (curl -u), and GET /f/<id> the cookie.
    const posted = await curl(["-u", `zed:${PASSWORD}`, "-H", 'Content-Disposition: attachment; filename="basic.txt"', "--data-binary", `@${upload}`, `${base}/api/v1/upload`]);
    assert.equal(posted.status, 201, posted.body.toString());
    const link = new URL(posted.headers.get("location") ?? "");
    const opened = await curl(["-H", `Cookie: cmy_access=${token}`, `${base}${link.pathname}`]);
    assert.equal(opened.status, 200, opened.body.toString());
    assert.equal(opened.body.toString(), "some notes\n");
  });

  test("a path named like an upload in progress is 400 invalid-path saying the name is reserved for uploads in progress", async () => {
    for (const path of ["/.upload-0123456789abcdef", "/docs/.notes.txt.upload-0123456789ab/x.txt"]) {
      const reply = await curl([...bearer(token), "-X", "PUT", "--data-binary", "x", contentUrl(path)]);
      assert.equal(reply.status, 400, `${path}: ${reply.body.toString()}`);
      const problem = problemOf(reply.body);
      assert.equal(problem.type, "urn:cmymessage:problem:invalid-path", path);
      assert.match(problem.detail, /reserved for uploads in progress/, path);
      // The rule the names break, so the client can tell which of its names it is.
      assert.match(problem.detail, /\.upload- and 16 hex digits, or \.<name>\.upload- and 12/, path);
      assert.doesNotMatch(problem.detail, /control characters/, path);
    }
    // A control character is still refused for what it is.
    const control = await curl([...bearer(token), "-X", "PUT", "--data-binary", "x", contentUrl("/a\u0001b.txt")]);
    assert.equal(control.status, 400);
    assert.match(problemOf(control.body).detail, /without control characters/);
    assert.ok(!(await onDisk()).some((name) => name.includes("upload-")), "nothing was stored under a reserved name");
  });
});
