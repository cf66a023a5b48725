import type { Kysely } from "kysely";
import { Migrator, type MigrationProvider, type MigrationResult } from "kysely/migration";
import type { Dialect } from "./dialect.js";
import { migrations } from "./migrations/index.js";

export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
}

/** Kysely's migration table; the code's list of migrations is the single source of versions. */
const MIGRATION_TABLE = "schema_migrations";
const LOCK_TABLE = "schema_migrations_lock";

function provider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(migrations.map((m) => [m.name, { up: (db: Kysely<unknown>) => m.up(db, dialect) }]));
    },
  };
}

/**
 * Brings the schema to the newest version this code knows. A database migrated
 * by newer code is refused: running old code on it could corrupt data.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<{ applied: string[] }> {
  const migrator = new Migrator({ db, provider: provider(dialect), migrationTableName: MIGRATION_TABLE, migrationLockTableName: LOCK_TABLE });
  const known = new Set(migrations.map((m) => m.name));
  const executed = await executedNames(db);
  const unknown = executed.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database schema is newer than this version of CmyMessage knows (unknown migrations: ${unknown.join(", ")}); upgrade CmyMessage or restore a backup`,
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return { applied: (results ?? []).filter((r: MigrationResult) => r.status === "Success").map((r: MigrationResult) => r.migrationName) };
}

async function executedNames(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await (db as Kysely<Record<string, { name: string }>>).selectFrom(MIGRATION_TABLE).select("name").execute();
  return rows.map((r) => r.name);
}
