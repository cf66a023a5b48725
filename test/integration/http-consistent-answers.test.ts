/**
 * Answers of the HTTP API that must not depend on how a newcomer got there, through a
 * real server: a bad before= is 400 whether or not the channel exists; Basic credentials
 * (curl -u, which the upload route takes) on the file routes are "send a token", not "your
 * token expired"; a path named like an upload in progress is refused for that reason.
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

  test("a path named like an upload in progress is 400 invalid-path saying the name is reserved for uploads in progress", async () => {
    for (const [path, name] of [
      ["/.upload-0123456789abcdef", ".upload-0123456789abcdef"],
      ["/docs/.notes.txt.upload-0123456789ab/x.txt", ".notes.txt.upload-0123456789ab"],
    ] as const) {
      const reply = await curl([...bearer(token), "-X", "PUT", "--data-binary", "x", contentUrl(path)]);
      assert.equal(reply.status, 400, `${path}: ${reply.body.toString()}`);
      const problem = problemOf(reply.body);
      assert.equal(problem.type, "urn:cmymessage:problem:invalid-path", path);
      assert.match(problem.detail, /reserved for uploads in progress/, path);
      assert.ok(problem.detail.includes(name), `${path}: names ${name}: ${problem.detail}`);
      assert.doesNotMatch(problem.detail, /control characters/, path);
    }
    // A control character is still refused for what it is.
    const control = await curl([...bearer(token), "-X", "PUT", "--data-binary", "x", contentUrl("/a\u0001b.txt")]);
    assert.equal(control.status, 400);
    assert.match(problemOf(control.body).detail, /without control characters/);
    assert.ok(!(await onDisk()).some((name) => name.includes("upload-")), "nothing was stored under a reserved name");
  });
});
