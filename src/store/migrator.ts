import { Migrator, sql, type DatabaseIntrospector, type Kysely, type MigrationProvider, type MigrationResult } from "kysely";
import type { Dialect } from "./dialect.js";
import { migrations } from "./migrations/index.js";

export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
}

/** Kysely's migration table; the code's list of migrations is the single source of versions. */
export const MIGRATION_TABLE = "schema_migrations";
export const MIGRATION_LOCK_TABLE = "schema_migrations_lock";

function provider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(migrations.map((m) => [m.name, { up: (db: Kysely<unknown>) => m.up(db, dialect) }]));
    },
  };
}

/**
 * The schema the migration tables live in: on PostgreSQL the connection's current
 * schema (the first existing one on its search_path). Kysely's introspection lists
 * the tables of every schema, so without this a `schema_migrations` table in another
 * schema (say `public`) would be taken for ours. SQLite has one namespace: undefined.
 */
async function migrationSchema(db: Kysely<unknown>, dialect: Dialect): Promise<string | undefined> {
  if (dialect !== "postgres") return undefined;
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}

/**
 * Kysely's PostgreSQL introspector reads every schema of the database and calls
 * has_schema_privilege() and pg_get_serial_sequence() by name on each, so it fails
 * (3F000 / 42P01) whenever someone drops another schema or table meanwhile — and its
 * migrator asks it whether the migration tables exist. The migrator gets this view of
 * `db` instead, whose introspection sees the migration schema only, from plain views.
 */
function scopedToSchema(db: Kysely<unknown>, schema: string): Kysely<unknown> {
  const introspection: DatabaseIntrospector = {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return rows;
    },
    async getTables() {
      const { rows } = await sql<{ name: string }>`select tablename as name from pg_catalog.pg_tables where schemaname = ${schema}`.execute(db);
      return rows.map((row) => ({ name: row.name, schema, isView: false, columns: [] }));
    },
    async getMetadata() {
      return { tables: await introspection.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Kysely's migrator as this store configures it (tables, schema, the code's migrations). */
export async function createMigrator(db: Kysely<unknown>, dialect: Dialect): Promise<Migrator> {
  const schema = await migrationSchema(db, dialect);
  return new Migrator({
    db: schema === undefined ? db : scopedToSchema(db, schema),
    provider: provider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema !== undefined && { migrationTableSchema: schema }),
  });
}

/**
 * Brings the schema to the newest version this code knows. A database migrated
 * by newer code is refused: running old code on it could corrupt data.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<{ applied: string[] }> {
  const migrator = await createMigrator(db, dialect);
  const schema = await migrationSchema(db, dialect);
  const known = new Set(migrations.map((m) => m.name));
  const executed = await executedNames(db, dialect, schema);
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

/** The migrations recorded in this database (on PostgreSQL: in its current schema only). */
async function executedNames(db: Kysely<unknown>, dialect: Dialect, schema: string | undefined): Promise<string[]> {
  const exists =
    dialect === "postgres"
      ? sql`select 1 from pg_catalog.pg_tables where schemaname = ${schema ?? null} and tablename = ${MIGRATION_TABLE}`
      : sql`select 1 from sqlite_master where type = 'table' and name = ${MIGRATION_TABLE}`;
  if ((await exists.execute(db)).rows.length === 0) return [];
  const scoped = schema === undefined ? db : db.withSchema(schema);
  const rows = await (scoped as Kysely<Record<string, { name: string }>>).selectFrom(MIGRATION_TABLE).select("name").execute();
  return rows.map((r) => r.name);
}
