/**
 * A share link its owner posted and then took back (IRCv3 REDACT) must stop opening
 * for that conversation: the message is gone from history, so is the grant. Someone
 * else's message holding the link, redacted, takes nothing away. On SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachDatabase, openFixture, suiteScope, type AccountsFixture } from "../support/account-server.js";
import { ApiClient, PASSWORD } from "../support/http-client.js";
import { parseLine, say } from "../support/irc-lines.js";
import type { RawClient } from "../support/raw-client.js";
import { rawSync } from "../support/fixture.js";
import { waitFor } from "../support/wait.js";

const CAPS = ["message-tags", "echo-message", "server-time", "batch", "labeled-response", "draft/message-redaction"];

forEachDatabase("share grants and redaction", (kind) => {
  const scope = suiteScope();
  let fx: AccountsFixture;
  let api: ApiClient;
  const tokens: Record<string, string> = {};
  const irc: Record<string, RawClient> = {};

  before(async () => {
    fx = await openFixture(scope, { http: { listen: ["127.0.0.1:0"] } }, { kind });
    api = ApiClient.forPort(fx.server.http[0]!.port);
    for (const name of ["alice", "bob"]) {
      tokens[name] = (await api.register(name)).tokens.accessToken;
      const client = await fx.raw(name, { caps: CAPS });
      client.send(`PRIVMSG NickServ :IDENTIFY ${name} ${PASSWORD}`);
      await client.waitFor(/ 900 /);
      irc[name] = client;
    }
    const put = await fetch(`${api.base}/api/v1/files/content?path=/note.txt`, { method: "PUT", headers: { authorization: `Bearer ${tokens["alice"]}` }, body: "private" });
    assert.equal(put.status, 201);
  });
  after(() => scope.run());

  const share = async (): Promise<string> => (await api.post<{ url: string }>("/api/v1/shares", { path: "/note.txt" }, tokens["alice"])).body.url;
  const status = async (url: string, who: string): Promise<number> => {
    const response = await fetch(`${api.base}${url}`, { headers: { authorization: `Bearer ${tokens[who]}` } });
    await response.arrayBuffer();
    return response.status;
  };
  const becomes = (url: string, who: string, wanted: number): Promise<true> => waitFor(async () => (await status(url, who)) === wanted || undefined, { what: `${url} to answer ${wanted} to ${who}` });
  const redact = async (client: RawClient, target: string, msgid: string): Promise<void> => {
    client.send(`REDACT ${target} ${msgid}`);
    const answer = parseLine(await client.waitFor((line) => / (REDACT|FAIL) /.test(line) && line.includes(msgid)));
    assert.equal(answer.command, "REDACT", answer.raw);
  };

  test("the owner redacts the channel message holding the link: the channel's readers get 404 again", async () => {
    const [alice, bob] = [irc["alice"]!, irc["bob"]!];
    alice.send("JOIN #closed");
    alice.send("MODE #closed +s");
    await rawSync(alice);
    bob.send("JOIN #closed");
    await bob.waitFor(/ 366 bob #closed /);
    const url = await share();
    const posted = await say(alice, "#closed", `oops, wrong place ${url}`);
    await becomes(url, "bob", 200);
    await redact(alice, "#closed", posted.msgid);
    await becomes(url, "bob", 404);
    assert.equal(await status(url, "alice"), 200, "the owner keeps it");
    // Posted again, granted again.
    await say(alice, "#closed", `here it is ${url}`);
    await becomes(url, "bob", 200);
  });

  test("the owner redacts the direct message holding the link: the other party gets 404", async () => {
    const url = await share();
    const posted = await say(irc["alice"]!, "bob", `for you ${url}`);
    await becomes(url, "bob", 200);
    await redact(irc["alice"]!, "bob", posted.msgid);
    await becomes(url, "bob", 404);
  });

  test("someone else's redacted message holding the link takes nothing away", async () => {
    const [alice, bob] = [irc["alice"]!, irc["bob"]!];
    const url = await share();
    await say(alice, "#closed", `mine ${url}`);
    await becomes(url, "bob", 200);
    const quoted = await say(bob, "#closed", `quoting ${url}`);
    await redact(bob, "#closed", quoted.msgid);
    // A later grant of the same kind is written after the revocation would have been: once it is visible, so would that be.
    const later = await share();
    await say(alice, "#closed", `and ${later}`);
    await becomes(later, "bob", 200);
    assert.equal(await status(url, "bob"), 200);
  });
});
