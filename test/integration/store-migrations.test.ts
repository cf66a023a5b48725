/**
 * Schema migrations on every dialect: up from empty, idempotent, up from each
 * earlier version, and a database migrated by newer code is refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Kysely } from "kysely";
import { NO_MIGRATIONS } from "kysely";
import { createMigrator, migrateToLatest, MIGRATION_TABLE, SchemaTooNewError } from "../../src/store/migrator.js";
import { migrations } from "../../src/store/migrations/index.js";
import { openStore, QUERY_TIMEOUT_MS, type Store } from "../../src/store/database.js";
import { adminQuery, describeTables, forEachDialect, postgresBaseUrl } from "../support/databases.js";

const TABLES = ["accounts", "always_on_users", "channels", "credentials", "deleted_account_names", "file_reservations", "file_usage", "login_failures", "messages", "push_subscriptions", "read_markers", "refresh_tokens", "registration_attempts", "server_secrets", "share_audience", "shares"];

/** Tables and their columns as the database reports them: what two schemas must agree on. */
function shape(store: Store): Promise<string[]> {
  return describeTables(raw(store), store.dialect);
}

async function applied(db: Kysely<unknown>): Promise<string[]> {
  const rows = await (db as Kysely<Record<string, { name: string }>>).selectFrom(MIGRATION_TABLE).select("name").orderBy("name").execute();
  return rows.map((r) => r.name);
}

function raw(store: Store): Kysely<unknown> {
  return store.db as unknown as Kysely<unknown>;
}

forEachDialect("store migrations", (target) => {
  test("migrations apply from an empty database, creating every table, and a second run applies nothing", async (t) => {
    const database = await target.create(t);
    const store = await database.open({ migrate: false });
    const first = await migrateToLatest(raw(store), store.dialect);
    assert.deepEqual(first.applied, migrations.map((m) => m.name));
    const names = (await shape(store)).map((s) => s.slice(0, s.indexOf("(")));
    for (const table of TABLES) assert.ok(names.includes(table), `table ${table} exists after migrating (have: ${names.join(", ")})`);
    assert.deepEqual(await applied(raw(store)), migrations.map((m) => m.name));

    const second = await migrateToLatest(raw(store), store.dialect);
    assert.deepEqual(second.applied, [], "nothing left to apply");
    assert.deepEqual(await applied(raw(store)), migrations.map((m) => m.name), "recorded once each");

    // A second process opening the same database (what a restart does) also applies nothing.
    const reopened = await database.open({ migrate: true });
    assert.deepEqual(await applied(raw(reopened)), migrations.map((m) => m.name));
  });

  // Generic over the list: for every earlier version k (k migrations applied, 0 = empty),
  // migrating to the latest applies exactly the rest and ends in the same schema as from empty.
  for (let k = 0; k <= migrations.length; k++) {
    const version = k === 0 ? "an empty database" : `version ${migrations[k - 1]!.name}`;
    test(`from ${version}, migrating applies exactly the later migrations and yields the same schema as from empty`, async (t) => {
      const reference = await target.create(t);
      const fromEmpty = await reference.open({ migrate: true });
      const expected = await shape(fromEmpty);

      const database = await target.create(t);
      const store = await database.open({ migrate: false });
      const migrator = await createMigrator(raw(store), store.dialect);
      const earlier = await migrator.migrateTo(k === 0 ? NO_MIGRATIONS : migrations[k - 1]!.name);
      if (earlier.error) throw earlier.error;
      assert.deepEqual(await applied(raw(store)).catch(() => []), migrations.slice(0, k).map((m) => m.name), `the database is at ${version}`);

      const { applied: rest } = await migrateToLatest(raw(store), store.dialect);
      assert.deepEqual(rest, migrations.slice(k).map((m) => m.name));
      assert.deepEqual(await shape(store), expected);
    });
  }

  test("0012 retires the names of accounts deleted before it, found by their files and direct conversations; guests and live accounts stay free", async (t) => {
    const database = await target.create(t);
    const store = await database.open({ migrate: false });
    const migrator = await createMigrator(raw(store), store.dialect);
    const before = await migrator.migrateTo("0011-direct-recipient-index");
    if (before.error) throw before.error;
    const db = store.db;
    await db.insertInto("accounts").values({ name: "Bob", name_folded: "bob", email: null, created_at: 1, verified_at: 1, last_seen_at: null, multiclient: null, always_on: null }).execute();
    await db.insertInto("file_usage").values({ account: "gone-with-files", bytes: 10, files: 1 }).execute();
    const dm = (target: string, msgid: string) => ({ msgid, kind: "privmsg", target, target_display: "x", sender_nick: "x", sender_mask: "x!x@x", sender_account: null, recipient_account: null, time: 1, text: "hi", tags: null });
    await db.insertInto("messages").values([dm("@bob gone-with-dms", "m1"), dm("@bob ~guest", "m2"), dm("#channel", "m3")]).execute();
    const { applied: rest } = await migrateToLatest(raw(store), store.dialect);
    assert.ok(rest.includes("0012-deleted-account-names"));
    const retired = (await db.selectFrom("deleted_account_names").select("name_folded").orderBy("name_folded").execute()).map((r) => r.name_folded);
    assert.deepEqual(retired, ["gone-with-dms", "gone-with-files"]);
  });

  test("a database that records a migration this code does not know is refused with SchemaTooNewError and a clear message", async (t) => {
    const database = await target.create(t);
    const store = await database.open({ migrate: true });
    const future = "9999-from-the-future";
    await (store.db as unknown as Kysely<Record<string, { name: string; timestamp: string }>>)
      .insertInto(MIGRATION_TABLE)
      .values({ name: future, timestamp: new Date().toISOString() })
      .execute();

    await assert.rejects(migrateToLatest(raw(store), store.dialect), (error: unknown) => {
      assert.ok(error instanceof SchemaTooNewError, `SchemaTooNewError, got ${String(error)}`);
      assert.match(error.message, /newer than this version of CmyMessage/);
      assert.match(error.message, new RegExp(future), "names the unknown migration");
      assert.match(error.message, /upgrade CmyMessage or restore a backup/, "says what to do");
      return true;
    });
    // Opening the store (what the server and the CLI do) is refused the same way, and the data stays.
    await assert.rejects(database.open({ migrate: true }), SchemaTooNewError);
    assert.deepEqual(await applied(raw(store)), [...migrations.map((m) => m.name), future].sort());
  });

  // Regression: Kysely's introspection lists every PostgreSQL schema, so another schema's
  // schema_migrations (here: a neighbour's, marked as too new) used to be taken for ours —
  // a fresh schema failed with 'relation "schema_migrations" does not exist' or was refused.
  test("another database (on PostgreSQL: another schema of the same database) does not affect this one's migrations", async (t) => {
    const neighbour = await target.create(t);
    const other = await neighbour.open({ migrate: true });
    await (other.db as unknown as Kysely<Record<string, { name: string; timestamp: string }>>)
      .insertInto(MIGRATION_TABLE)
      .values({ name: "9999-neighbour", timestamp: new Date().toISOString() })
      .execute();

    const database = await target.create(t);
    const store = await database.open({ migrate: true });
    assert.deepEqual(await applied(raw(store)), migrations.map((m) => m.name));
    await store.db.insertInto("login_failures").values({ key: "k", failures: 1, last_failure_at: 1, locked_until: null }).execute();
    const theirs = await other.db.selectFrom("login_failures").selectAll().execute();
    assert.deepEqual(theirs, [], "tables are separate too");
  });
});

// Regression: Kysely's PostgreSQL introspection calls has_schema_privilege() and
// pg_get_serial_sequence() by name on every schema and table of the database, so a schema
// dropped by someone else during a migration run failed it ('schema "…" does not exist',
// 3F000, or 'relation "….schema_migrations" does not exist', 42P01) — a server could fail to
// start because another application (or a parallel test) dropped an unrelated schema.
forEachDialect(
  "store migrations while other schemas come and go",
  (target) => {
    test("migrating fresh schemas succeeds every time while another session keeps creating and dropping schemas", async (t) => {
      const base = postgresBaseUrl()!;
      let stop = false;
      let churned = 0;
      const churn = (async () => {
        while (!stop) {
          const schema = `cmy_churn_${process.pid}_${churned++}`;
          await adminQuery(base, `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".t (id serial primary key, x integer)`);
          await adminQuery(base, `DROP SCHEMA "${schema}" CASCADE`);
        }
      })();
      try {
        for (let i = 0; i < 20; i++) {
          const database = await target.create(t);
          const store = await database.open({ migrate: true });
          assert.deepEqual(await applied(raw(store)), migrations.map((m) => m.name));
          await store.close();
        }
      } finally {
        stop = true;
        await churn;
      }
      assert.ok(churned > 20, `schemas really came and went meanwhile (${churned})`);
    });
  },
  { dialects: ["postgres"] },
);

forEachDialect("store migrations at start", () => {
  test("a migration that waits longer than a query of the running server may (for a lock another session holds) completes", async (t) => {
    // A database of its own: while it waits, the migration holds the migration lock that
    // every schema of one database shares, and other tests' stores would wait with it.
    const base = postgresBaseUrl()!;
    const name = `cmy_migration_wait_${process.pid}_${Date.now()}`;
    const closers: Array<() => Promise<unknown>> = [];
    t.after(async () => {
      for (const close of closers.reverse()) await close().catch(() => {});
    });
    await adminQuery(base, `create database ${name}`);
    closers.push(() => adminQuery(base, `drop database if exists ${name} with (force)`));
    const url = new URL(base);
    url.pathname = `/${name}`;
    const dataDir = await mkdtemp(join(tmpdir(), "cmy-migration-wait-"));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const store = await openStore({ url: url.toString(), dataDir, migrate: false });
    closers.push(() => store.close());
    // Before 0011-direct-recipient-index, which builds an index on messages.
    const earlier = await (await createMigrator(raw(store), store.dialect)).migrateTo("0010-search-terms");
    if (earlier.error) throw earlier.error;

    // Another session (another node, a long report) holds messages against writes, which
    // building an index waits for.
    const other = new pg.Client({ connectionString: url.toString() });
    other.on("error", () => {});
    await other.connect();
    closers.push(() => other.end());
    await other.query("begin");
    await other.query("lock table messages in share row exclusive mode");
    let settled = false;
    const opening = openStore({ url: url.toString(), dataDir, migrate: true });
    opening.then(
      (migrated) => {
        settled = true;
        closers.push(() => migrated.close());
      },
      () => (settled = true),
    );
    // Once the migration waits for the lock, a second longer than any query may take.
    const waiting = async () => Number((await other.query<{ n: string }>("select count(*) as n from pg_locks where relation = to_regclass('messages') and not granted")).rows[0]!.n) > 0;
    for (let i = 0; i < 200 && !(await waiting()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(await waiting(), "the migration waits for the lock");
    await new Promise((resolve) => setTimeout(resolve, QUERY_TIMEOUT_MS + 1000));
    assert.equal(settled, false, "the start still waits, not cut off by the per-query limit");
    await other.query("commit");
    const migrated = await opening;
    assert.deepEqual(await applied(raw(migrated)), migrations.map((m) => m.name));
  });
}, { dialects: ["postgres"] });
