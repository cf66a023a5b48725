/**
 * Self-registration: accounts one address (IPv4, IPv6 /64) may create per hour
 * (`accounts.registrationsPerAddressPerHour`), counted in the database so it holds across
 * nodes and restarts, at every door (HTTP POST /api/v1/accounts, IRC REGISTER, NickServ
 * REGISTER); and the operator's switch `accounts.selfRegistration` that turns those
 * doors off while `cmymessage user add` still works.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../src/config/load.js";
import type { Problem } from "../../src/http/problems.js";
import { bootServer, createHome, forEachDatabase, openFixture, type AccountsFixture, type ServerConfig } from "../support/account-server.js";
import { ApiClient, isProblem, PASSWORD } from "../support/http-client.js";
import { runCli } from "../support/cli-run.js";

const LIMIT = 3;
const LIMITED: ServerConfig = { http: { listen: ["127.0.0.1:0"] }, accounts: { registrationsPerAddressPerHour: LIMIT } };
const REPLY = / (FAIL REGISTER|REGISTER SUCCESS) /;

function api(fx: AccountsFixture): ApiClient {
  return ApiClient.forPort(fx.server.http[0]!.port);
}

/** A place frees an hour after the oldest registration: just made, so about 3600 s. */
function assertAboutAnHour(seconds: number): void {
  assert.ok(seconds > 3500 && seconds <= 3600, `Retry-After ${seconds}`);
}

test("the default is 5 accounts per address per hour, self-registration on", () => {
  const config = validateConfig({}, "test");
  assert.equal(config.accounts.registrationsPerAddressPerHour, 5);
  assert.equal(config.accounts.selfRegistration, true);
});

forEachDatabase("accounts.registrationsPerAddressPerHour", (kind) => {
  test("HTTP: the limit's worth of accounts, then 429 registration-limit with Retry-After; failed attempts take no place", async (t) => {
    const fx = await openFixture(t, LIMITED, { kind });
    const client = api(fx);
    const weak = await client.post("/api/v1/accounts", { name: "weakling", password: "short" });
    assert.ok(isProblem(weak, 400), weak.text);
    for (let i = 0; i < LIMIT; i++) await client.register(`web${i}`);
    const refused = await client.post<Problem>("/api/v1/accounts", { name: "webextra", password: PASSWORD });
    assert.ok(isProblem(refused, 429), refused.text);
    assert.equal(refused.body.type, "urn:cmymessage:problem:registration-limit");
    assert.match(refused.body.detail, /^Too many accounts created from your address; try again in \d+ seconds$/);
    assertAboutAnHour(Number(refused.headers.get("retry-after")));
    // The refused name was not created: the same name is still free for someone else.
    assert.equal((await client.login("webextra")).status, 401);
  });

  test("IRC REGISTER and NickServ REGISTER share the count; FAIL REGISTER TEMPORARILY_UNAVAILABLE; another address is not limited", async (t) => {
    const fx = await openFixture(t, LIMITED, { kind });
    const c = await fx.raw("first");
    c.send(`REGISTER first * :${PASSWORD}`);
    assert.match(await c.waitFor(REPLY), / REGISTER SUCCESS first /);
    const n = await fx.raw("second");
    n.send(`PRIVMSG NickServ :REGISTER ${PASSWORD.replaceAll(" ", "-")}`);
    await n.waitFor(/ 900 /);
    await api(fx).register("third");

    const d = await fx.raw("fourth");
    d.send(`REGISTER fourth * :${PASSWORD}`);
    const fail = await d.waitFor(REPLY);
    assert.match(fail, /^:cmymessage\.local FAIL REGISTER TEMPORARILY_UNAVAILABLE fourth :Too many accounts created from your address; try again in (\d+) seconds$/);
    assertAboutAnHour(Number(/in (\d+) seconds/.exec(fail)![1]));
    d.send(`PRIVMSG NickServ :REGISTER ${PASSWORD.replaceAll(" ", "-")}`);
    assert.match(await d.waitFor(/ NOTICE fourth :Registration/), /Registration failed: Too many accounts created from your address; try again in \d+ seconds\.$/);

    const other = await fx.raw("elsewhere", { localAddress: "127.0.0.2" });
    other.send(`REGISTER elsewhere * :${PASSWORD}`);
    assert.match(await other.waitFor(REPLY), / REGISTER SUCCESS elsewhere /);
  });

  test("two nodes on one database share the count, and it survives a restart", async (t) => {
    const home = await createHome(t, kind);
    const nodeA = await bootServer(home, { ...LIMITED, cluster: { nodeName: "node-a" } });
    home.track(() => nodeA.stop());
    const nodeB = await bootServer(home, { ...LIMITED, cluster: { nodeName: "node-b" } });
    home.track(() => nodeB.stop());
    const a = ApiClient.forPort(nodeA.http[0]!.port);
    const b = ApiClient.forPort(nodeB.http[0]!.port);
    await a.register("alpha");
    await b.register("bravo");
    await a.register("charlie");
    const refusedB = await b.post("/api/v1/accounts", { name: "delta", password: PASSWORD });
    assert.ok(isProblem(refusedB, 429), refusedB.text);

    await nodeB.stop();
    const restarted = await bootServer(home, { ...LIMITED, cluster: { nodeName: "node-b" } });
    home.track(() => restarted.stop());
    const again = await ApiClient.forPort(restarted.http[0]!.port).post("/api/v1/accounts", { name: "delta", password: PASSWORD });
    assert.ok(isProblem(again, 429), again.text);
  });
});

test("accounts.selfRegistration false: HTTP 403 registration-closed, FAIL REGISTER DISALLOWED, NickServ refuses; `cmymessage user add` still works", async (t) => {
  const fx = await openFixture(t, { http: { listen: ["127.0.0.1:0"] }, accounts: { selfRegistration: false } });
  const refused = await api(fx).post<Problem>("/api/v1/accounts", { name: "webby", password: PASSWORD });
  assert.ok(isProblem(refused, 403), refused.text);
  assert.equal(refused.body.type, "urn:cmymessage:problem:registration-closed");

  const c = await fx.raw("ircer");
  c.send(`REGISTER ircer * :${PASSWORD}`);
  assert.equal(await c.waitFor(REPLY), ":cmymessage.local FAIL REGISTER DISALLOWED ircer :This server does not let anyone create an account; ask its operator for one");
  c.send(`PRIVMSG NickServ :REGISTER ${PASSWORD.replaceAll(" ", "-")}`);
  assert.match(await c.waitFor(/ NOTICE ircer :Registration/), /Registration failed: This server does not let anyone create an account/);

  const configFile = join(fx.home.dataDir, "cli.yaml");
  await writeFile(configFile, `dataDir: ${JSON.stringify(fx.home.dataDir)}\naccounts:\n  selfRegistration: false\n`);
  const added = await runCli(["user", "add", "opmade", "--password", PASSWORD], configFile);
  assert.equal(added.code, 0, added.stderr);
  assert.equal((await api(fx).login("opmade")).status, 200);
});
