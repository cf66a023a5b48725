/**
 * SQL injection and awkward input on every dialect: whatever a user controls
 * (account name, email, credentials, address, message text, target, nick, msgid,
 * tags, history bounds) is stored and read back byte for byte, or refused with a
 * normal error — and the tables are intact afterwards.
 *
 * The one value a dialect refuses is NUL: PostgreSQL's text type cannot hold it
 * (SQLSTATE 22021). SQLite stores it. IRC drops lines with NUL before they get here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { LoginFailuresRepository } from "../../src/store/login-failures-repository.js";
import { MessagesRepository } from "../../src/store/messages-repository.js";
import { AccountService, ARGON2ID } from "../../src/core/accounts/account-service.js";
import { LoginGuard } from "../../src/core/accounts/login-guard.js";
import { foldCase } from "../../src/core/chat/names.js";
import type { StoredMessage } from "../../src/core/chat/history.js";
import type { Store } from "../../src/store/database.js";
import type { Kysely } from "kysely";
import { forEachDialect, tableNames } from "../support/databases.js";

const HOSTILE: ReadonlyArray<readonly [string, string]> = [
  ["quote OR", "' OR 1=1 --"],
  ["double-quote DROP", '"; DROP TABLE accounts; --'],
  ["quote DROP", "'; DROP TABLE messages; --"],
  ["paren DELETE", "'); DELETE FROM credentials; --"],
  ["comment", "a /* b */ c"],
  ["percent", "%"],
  ["underscore", "_"],
  ["percent in the middle", "a%b_c"],
  ["backslash", "\\"],
  ["backslash quote", "\\'"],
  ["like escape", "\\%\\_"],
  ["NUL", "a\u0000b"],
  ["emoji", "😀👍🏽👨‍👩‍👧 ünïcödé 中文 עברית"],
  ["control characters", "\u0001\u0007\t\r\n\u001b[31m"],
  ["semicolons", ";;;"],
  ["JSON-ish", '{"a":1}\',"b":[null]'],
  ["10 KB", "x".repeat(10 * 1024)],
  ["10 KB of injection", "' OR 1=1; DROP TABLE accounts; -- ".repeat(310).slice(0, 10 * 1024)],
];

const TABLES = ["accounts", "channels", "credentials", "login_failures", "messages", "refresh_tokens"];

/** Only NUL may be refused, and only by PostgreSQL, and only with its "invalid byte sequence" error. */
function assertCleanRefusal(store: Store, value: string, error: unknown, what: string): void {
  assert.ok(value.includes("\u0000"), `${what}: only NUL may be refused, got ${String(error)}`);
  assert.equal(store.dialect, "postgres", `${what}: SQLite stores NUL`);
  assert.equal((error as { code?: string }).code, "22021", `${what}: ${String(error)}`);
}

async function assertIntact(store: Store, expected: { accounts: number; messages: number }): Promise<void> {
  const tables = await tableNames(store.db as unknown as Kysely<unknown>, store.dialect);
  for (const table of TABLES) assert.ok(tables.includes(table), `table ${table} is still there`);
  const accounts = await store.db.selectFrom("accounts").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  const messages = await store.db.selectFrom("messages").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  assert.equal(Number(accounts.n), expected.accounts, "accounts: nothing more, nothing less");
  assert.equal(Number(messages.n), expected.messages, "messages: nothing more, nothing less");
  const sentinel = await store.db.selectFrom("accounts").select("name").where("name_folded", "=", "sentinel").executeTakeFirst();
  assert.equal(sentinel?.name, "Sentinel", "the account made before the attack is untouched");
  const credentials = await store.db.selectFrom("credentials").select("value").execute();
  assert.ok(credentials.length >= 1, "credentials survive");
}

forEachDialect("SQL injection and hostile input", (target) => {
  test("account names, emails and credential values are stored and found byte for byte, or refused cleanly", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const repository = new AccountsRepository(store.db);
    assert.notEqual(await repository.create("Sentinel", "sentinel", null, [{ kind: ARGON2ID, value: "$argon2id$sentinel" }], 1), "name-taken");
    let stored = 1;
    for (const [what, value] of HOSTILE) {
      let created;
      try {
        created = await repository.create(value, foldCase(value), value, [{ kind: ARGON2ID, value }], 2);
      } catch (error) {
        assertCleanRefusal(store, value, error, what);
        assert.equal(await repository.findByName(foldCase(value)).catch(() => undefined), undefined, `${what}: nothing half-stored`);
        continue;
      }
      stored++;
      assert.notEqual(created, "name-taken", what);
      const found = await repository.findByName(foldCase(value));
      assert.equal(found?.name, value, `${what}: name round-trips`);
      assert.equal(found?.email, value, `${what}: email round-trips`);
      assert.equal(await repository.credential(found!.id, ARGON2ID), value, `${what}: credential round-trips`);
      assert.equal(await repository.credential(found!.id, value), undefined, `${what}: as a kind it matches nothing`);
      // Wildcards are not wildcards: the lookup is by equality.
      if (value === "%" || value === "_") assert.equal((await repository.findByName(value))?.name, value);
      assert.equal(await repository.create(value, foldCase(value), null, [], 3), "name-taken", `${what}: the UNIQUE key sees it`);
    }
    assert.equal((await repository.list()).length, stored);
    assert.equal(await repository.findByName("' or 1=1 --x"), undefined);
    await assertIntact(store, { accounts: stored, messages: 0 });

    // Deleting by a hostile name deletes exactly that account.
    assert.equal(await repository.delete(foldCase("' OR 1=1 --"), 5), true);
    assert.equal(await repository.delete("%", 5), true);
    assert.equal(await repository.delete("' or '1'='1", 5), false);
    await assertIntact(store, { accounts: stored - 2, messages: 0 });
  });

  test("the account service refuses hostile names as invalid-name (or stores the few that are valid nicks), and login with hostile input fails normally", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const guard = new LoginGuard(new LoginFailuresRepository(store.db), { backoffBaseSeconds: 0, backoffMaxSeconds: 0, accountAddressLockoutAfter: 1000, addressLockoutAfter: 1000, lockoutSeconds: 1, forgetAfterSeconds: 1, accountFailuresPerSecond: 1000, failureDelayMaxSeconds: 0 });
    const service = new AccountService(new AccountsRepository(store.db), guard, { nameLength: 30, scramIterations: 0, password: { minBytes: 8, rejectCommon: true }, selfRegistration: true, registrationsPerAddressPerHour: 0 }, pino({ level: "silent" }));
    assert.ok((await service.register("Sentinel", "sentinel password", null)).ok);
    let accounts = 1;
    for (const [what, value] of HOSTILE) {
      const result = await service.register(value, "a fine long password", value);
      if (result.ok) {
        accounts++;
        assert.equal(result.account.name, value, `${what}: a valid nick is stored as written`);
        assert.equal((await service.find(value))?.name, value);
      } else {
        assert.deepEqual(result, { ok: false, reason: "invalid-name" }, what);
        // No such account can exist: every other door answers "unknown", never a database error.
        assert.equal(await service.find(value), undefined, `${what}: find`);
        assert.deepEqual(await service.changePassword(value, "a fine long password"), { ok: false, reason: "no-such-account" }, `${what}: changePassword`);
        assert.equal(await service.delete(value), false, `${what}: delete`);
      }

      // As a password: accepted or refused by the policy, never an error.
      const asPassword = await service.register(`pw${accounts}x${what.length}`.replace(/[^A-Za-z0-9]/g, ""), value, null);
      if (asPassword.ok) accounts++;
      else assert.match(asPassword.reason, /^(too-short|too-long|too-common|name-taken)$/, what);

      // Login with hostile name, password and address: the same failure as any other.
      const login = await service.login(value, value, value, "test");
      assert.deepEqual(login, { ok: false, reason: "invalid-credentials" }, `${what}: login`);
    }
    assert.equal((await service.login("Sentinel", "sentinel password", "192.0.2.1", "test")).ok, true);
    await assertIntact(store, { accounts, messages: 0 });
    // The hostile addresses were counted under their own keys, not matched as patterns.
    const failures = new LoginFailuresRepository(store.db);
    const key = LoginGuard.keys("x", "' OR 1=1 --").address;
    assert.equal((await failures.get([key])).get(key)?.failures, 1);
    assert.equal((await failures.get(["address:%"])).get("address:%")?.failures, 1);
    assert.equal((await failures.get(["address:%%"])).size, 0);
  });

  test("message text, target, nick, mask, accounts, msgid and tags round-trip byte for byte; hostile bounds match nothing", async (t) => {
    const database = await target.create(t);
    const store = await database.open();
    const accounts = new AccountsRepository(store.db);
    await accounts.create("Sentinel", "sentinel", null, [{ kind: ARGON2ID, value: "x" }], 1);
    const repository = new MessagesRepository(store);
    const sentinel: StoredMessage = {
      msgid: "sentinel-1",
      kind: "privmsg",
      target: "#safe",
      targetDisplay: "#Safe",
      senderNick: "n",
      senderMask: "u@h",
      senderAccount: null,
      recipientAccount: null,
      time: 1,
      text: "hello",
      tags: null,
    };
    await repository.append([sentinel]);
    let messages = 1;
    for (const [i, [what, value]] of HOSTILE.entries()) {
      const stored: StoredMessage = {
        msgid: `${value}#${i}`,
        kind: "notice",
        target: value,
        targetDisplay: value,
        senderNick: value,
        senderMask: value,
        senderAccount: value,
        recipientAccount: value,
        time: 1000 + i,
        text: value,
        tags: { [`+${value}`]: value, "+plain": value },
      };
      try {
        await repository.append([stored]);
      } catch (error) {
        assertCleanRefusal(store, value, error, what);
        continue;
      }
      messages++;
      assert.deepEqual(await repository.query({ target: value, direction: "before", from: null, to: null, limit: 10 }), [stored], `${what}: LATEST`);
      assert.deepEqual(
        await repository.query({ target: value, direction: "after", from: { kind: "msgid", msgid: stored.msgid }, to: null, limit: 10 }),
        [],
        `${what}: AFTER its own msgid`,
      );
      assert.deepEqual(
        await repository.query({ target: value, direction: "before", from: { kind: "time", time: 10_000 }, to: { kind: "msgid", msgid: value }, limit: 10 }),
        [],
        `${what}: a hostile msgid bound matches nothing`,
      );
      assert.deepEqual(await repository.query({ target: "#safe", direction: "after", from: { kind: "msgid", msgid: stored.msgid }, to: null, limit: 10 }), [], `${what}: not a bound in another target`);
      assert.deepEqual(await repository.unreadDirect(value, 0, 10), [stored], `${what}: unreadDirect`);
      const conversations = await repository.conversations([value], value, 0, 100_000, 10);
      assert.deepEqual(conversations.map((c) => [c.target, c.targetDisplay]), [[value, value]], `${what}: conversations`);
    }
    // The LIKE '@%' of conversations() is ours, never the user's: an account named "%" sees its own direct chats only.
    const percentChat: StoredMessage = { ...sentinel, msgid: "dm-percent", target: "@% zed", senderAccount: "%", recipientAccount: "zed", time: 50 };
    const otherChat: StoredMessage = { ...sentinel, msgid: "dm-other", target: "@alice bob", senderAccount: "alice", recipientAccount: "bob", time: 51 };
    await repository.append([percentChat, otherChat]);
    messages += 2;
    assert.deepEqual((await repository.conversations([], "%", 0, 100_000, 100)).map((c) => c.target), ["@% zed"]);
    assert.deepEqual((await repository.conversations([], "_", 0, 100_000, 100)).map((c) => c.target), []);
    assert.deepEqual(await repository.conversations(["%"], null, 0, 100_000, 100).then((c) => c.map((x) => x.target)), ["%"]);
    assert.deepEqual(await repository.query({ target: "#safe", direction: "before", from: null, to: null, limit: 10 }), [sentinel]);
    await assertIntact(store, { accounts: 1, messages });
    // Retention is not fooled either.
    assert.equal(await repository.prune(null, 1), 0, "one message per target: nothing to prune");
    await assertIntact(store, { accounts: 1, messages });
  });
});
