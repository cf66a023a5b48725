/**
 * Migration 0019 (always-on users' away and user modes): a row stored before it reads back
 * with its channels and no status, away or modes; on SQLite, whose migrations are not one
 * transaction, a start stopped after its first column runs it again to the end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { NO_MIGRATIONS, type Kysely } from "kysely";
import { createMigrator, migrateToLatest } from "../../src/store/migrator.js";
import { migrations } from "../../src/store/migrations/index.js";
import { AlwaysOnRepository } from "../../src/store/always-on-repository.js";
import { forEachDialect } from "../support/databases.js";

const BEFORE = migrations[migrations.findIndex((m) => m.name === "0019-always-on-away-modes") - 1]?.name;

forEachDialect("migration 0019: always-on users' away and modes", (target) => {
  test("a row stored before it comes back with its channels, no status, no away message and no modes", async (t) => {
    const database = await target.create(t);
    const store = await database.open({ migrate: false });
    const raw = store.db as unknown as Kysely<unknown>;
    const before = await (await createMigrator(raw, store.dialect)).migrateTo(BEFORE ?? NO_MIGRATIONS);
    if (before.error) throw before.error;
    const account = await store.db
      .insertInto("accounts")
      .values({ name: "Erin", name_folded: "erin", email: null, created_at: 1, verified_at: 1, last_seen_at: null, multiclient: null, always_on: 1 })
      .returning("id")
      .executeTakeFirstOrThrow();
    await (raw as Kysely<Record<string, Record<string, unknown>>>)
      .insertInto("always_on_users")
      .values({ account_id: account.id, nick: "erin", username: "erin", hostname: "127.0.0.1", realname: "Erin", channels: JSON.stringify(["#old"]), detached_at: 5 })
      .execute();

    const { applied } = await migrateToLatest(raw, store.dialect);
    assert.ok(applied.includes("0019-always-on-away-modes"));
    const [row] = await new AlwaysOnRepository(store.db).list();
    assert.deepEqual(row?.channels, [{ name: "#old", op: false, voice: false }]);
    assert.equal(row?.away, null);
    assert.deepEqual(row?.modes, { invisible: false, wallops: false, bot: false });
  });

  if (target.dialect === "sqlite") {
    test("run again after a start stopped between its two columns, it adds the one missing", async (t) => {
      const database = await target.create(t);
      const store = await database.open({ migrate: false });
      const raw = store.db as unknown as Kysely<unknown>;
      const before = await (await createMigrator(raw, store.dialect)).migrateTo(BEFORE ?? NO_MIGRATIONS);
      if (before.error) throw before.error;
      await raw.schema.alterTable("always_on_users").addColumn("away", "text").execute();

      const { applied } = await migrateToLatest(raw, store.dialect);
      assert.ok(applied.includes("0019-always-on-away-modes"));
    });
  }
});
