/**
 * A password change deletes the account's push subscriptions (push-sessions-end.test.ts), but an
 * IRC connection logged in under the old password is only ended once this process learns of the
 * change: within accounts.deletedCheckSeconds for `cmymessage user passwd` run in another process,
 * and a REGISTER already in flight may land after the delete for a change made here. Whoever held
 * that connection must not be able to register a push endpoint in that window and go on reading
 * the account's DMs: WEBPUSH REGISTER from a connection logged in under an older credentials
 * version than the account's is refused (FAIL WEBPUSH FORBIDDEN), and nothing is stored. A
 * connection logged in after the change registers as before. On SQLite and PostgreSQL.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { forEachDatabase, openFixture, openHomeStore, type AccountsFixture, type ServerConfig } from "../support/account-server.js";
import { runCli } from "../support/cli-run.js";
import { PushEndpoint } from "../support/push-endpoint.js";
import type { RawClient } from "../support/raw-client.js";
import { connectWithPlain, registerAccount } from "../support/sasl.js";

const OLD_PASSWORD = "Password-Someone-Else-Learned-7";
const NEW_PASSWORD = "Owners-Brand-New-Password-8";

/** The sweep that would end the old connection runs only after an hour: the window stays open for the test. */
const CONFIG: ServerConfig = {
  push: { allowPrivateEndpoints: true },
  accounts: { deletedCheckSeconds: 3600 },
};

async function pushEndpoint(t: TestContext): Promise<PushEndpoint> {
  const endpoint = await PushEndpoint.start();
  t.after(() => endpoint.close());
  return endpoint;
}

async function login(fx: AccountsFixture, nick: string, password: string): Promise<RawClient> {
  const { client, result } = await connectWithPlain(fx, nick, "alice", password, { caps: ["draft/webpush"] });
  assert.match(result.raw, / 903 /);
  return client;
}

async function storedEndpoints(fx: AccountsFixture): Promise<string[]> {
  const store = await openHomeStore(fx.home);
  return (await store.db.selectFrom("push_subscriptions").select("endpoint").execute()).map((row) => row.endpoint).sort();
}

async function passwdInAnotherProcess(fx: AccountsFixture): Promise<void> {
  const configFile = join(fx.home.dataDir, "cli.yaml");
  await writeFile(configFile, JSON.stringify({ dataDir: fx.home.dataDir, database: { url: fx.home.databaseUrl } }));
  const changed = await runCli(["user", "passwd", "alice", "--password", NEW_PASSWORD], configFile);
  assert.equal(changed.code, 0, changed.stderr);
}

forEachDatabase("WEBPUSH REGISTER from a connection logged in before a password change", (kind) => {
  test("is refused (FAIL WEBPUSH FORBIDDEN) and stores nothing; a connection logged in after it registers", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, CONFIG, { kind });
    await registerAccount(fx, "alice", OLD_PASSWORD, { quit: true });
    const stale = await login(fx, "alice", OLD_PASSWORD);

    await passwdInAnotherProcess(fx);
    // Still connected: this process has not swept yet.
    stale.send("PING :still-here");
    await stale.waitFor(/ PONG .*still-here/);

    const attempt = endpoint.subscribe();
    stale.send(`WEBPUSH REGISTER ${attempt.endpoint} ${attempt.keys}`);
    const answer = await stale.waitFor(/ (WEBPUSH REGISTER|FAIL WEBPUSH) /);
    assert.match(answer, new RegExp(`^:\\S+ FAIL WEBPUSH FORBIDDEN REGISTER ${attempt.endpoint} :`));
    assert.deepEqual(await storedEndpoints(fx), [], "nothing stored for the connection logged in under the old password");

    const fresh = await login(fx, "alice2", NEW_PASSWORD);
    const after = endpoint.subscribe();
    fresh.send(`WEBPUSH REGISTER ${after.endpoint} ${after.keys}`);
    assert.match(await fresh.waitFor(/ (WEBPUSH REGISTER|FAIL WEBPUSH) /), new RegExp(`^:\\S+ WEBPUSH REGISTER ${after.endpoint}$`));
    assert.deepEqual(await storedEndpoints(fx), [after.endpoint]);
  });

  test("the connection that changed the password with NickServ SET PASSWORD holds the new one: it registers", async (t) => {
    const endpoint = await pushEndpoint(t);
    const fx = await openFixture(t, CONFIG, { kind });
    await registerAccount(fx, "alice", OLD_PASSWORD, { quit: true });
    const changer = await login(fx, "alice", OLD_PASSWORD);
    changer.send(`PRIVMSG NickServ :SET PASSWORD ${OLD_PASSWORD} ${NEW_PASSWORD}`);
    await changer.waitFor(/NOTICE alice :Your password has been changed\./);
    const subscription = endpoint.subscribe();
    changer.send(`WEBPUSH REGISTER ${subscription.endpoint} ${subscription.keys}`);
    assert.match(await changer.waitFor(/ (WEBPUSH REGISTER|FAIL WEBPUSH) /), new RegExp(`^:\\S+ WEBPUSH REGISTER ${subscription.endpoint}$`));
    assert.deepEqual(await storedEndpoints(fx), [subscription.endpoint]);
  });
});
