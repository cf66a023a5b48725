/**
 * Service names (src/core/reserved-names.ts) can be nobody's nick nor account: not
 * the services this server runs (NickServ, ChanServ) nor those other networks run
 * (Ergo, Anope, Atheme), which users take for services too.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { ApiClient, PASSWORD, isProblem } from "../support/http-client.js";
import { RawClient } from "../support/raw-client.js";
import { rawSync } from "../support/fixture.js";
import { RESERVED_NAMES } from "../../src/core/reserved-names.js";

let server: TestServer;
let api: ApiClient;
const clients: RawClient[] = [];
before(async () => {
  server = await startTestServer({ http: { listen: ["127.0.0.1:0"] } });
  api = ApiClient.forPort(server.httpPort);
});
after(async () => {
  for (const c of clients) {
    c.close();
    await c.closed;
  }
  await server.stop();
});

async function connect(): Promise<RawClient> {
  const client = await RawClient.connect(server.port);
  clients.push(client);
  return client;
}

test("NICK with a service name, at registration or later and in any case, gets 433 like NickServ does", async () => {
  const named = ["NickServ", "OperServ", "Global", "SaslServ", "histserv", "MEMOSERV", "alis"];
  const user = await connect();
  user.send("NICK OperServ");
  user.send("USER someone 0 * :someone");
  assert.match(await user.waitFor(/ 433 /), /^:\S+ 433 \* OperServ :/);
  user.send("NICK someone");
  await user.waitFor(/ 001 someone /);
  for (const nick of named) {
    user.send(`NICK ${nick}`);
    assert.match(await user.waitFor(/ 433 /), new RegExp(`^:\\S+ 433 someone ${nick} :`));
  }
  await rawSync(user);
  assert.equal(user.lines.filter((l) => / NICK /.test(l)).length, 0, "the nick never changed");
  user.send("WHOIS Global");
  assert.match(await user.waitFor(/ (401|311) /), / 401 someone Global /);
});

test("an account named like a service is refused by HTTP and by IRC REGISTER", async () => {
  for (const name of RESERVED_NAMES) {
    const reply = await api.post("/api/v1/accounts", { name, password: PASSWORD });
    assert.ok(isProblem(reply, 400), `${name}: ${reply.status} ${reply.text}`);
    assert.equal((reply.body as { type: string }).type, "urn:cmymessage:problem:invalid-name");
  }
  const user = await connect();
  user.send("NICK registrant");
  user.send("USER registrant 0 * :registrant");
  await user.waitFor(/ 001 /);
  user.send(`REGISTER Global * :${PASSWORD}`);
  assert.match(await user.waitFor(/ REGISTER /), / FAIL REGISTER (BAD_ACCOUNT_NAME|ACCOUNT_NAME_MUST_BE_NICK) Global /);
});

test("WHOIS and ISON find the services this server runs, whatever the case; other reserved names stay unknown", async () => {
  const user = await connect();
  user.send("NICK seeker");
  user.send("USER seeker 0 * :seeker");
  await user.waitFor(/ 001 seeker /);
  await rawSync(user);

  user.send("WHOIS nickserv");
  const whois = await user.waitFor(/ 318 seeker NickServ /);
  assert.match(whois, / 318 seeker NickServ :End of \/WHOIS list\.$/);
  const serverName = /^:(\S+) /.exec(whois)![1]!;
  assert.deepEqual(
    user.lines.filter((line) => / 31[123] seeker NickServ /.test(line)).map((line) => line.replace(/^:\S+ /, "")),
    [`311 seeker NickServ NickServ services.${serverName} * :Nickname services`, `312 seeker NickServ ${serverName} :CmyMessage`, "313 seeker NickServ :is a Network Service"],
  );
  assert.equal(user.lines.filter((line) => / 401 /.test(line)).length, 0, "WHOIS NickServ said no such nick");

  user.send("WHOIS OperServ");
  await user.waitFor(/ 401 seeker OperServ /);
  await user.waitFor(/ 318 seeker OperServ /);

  user.send("ISON chanserv NickServ OperServ seeker nobody");
  assert.match(await user.waitFor(/ 303 /), / 303 seeker :ChanServ NickServ seeker$/);
});
