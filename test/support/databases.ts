/**
 * The databases the store suites run on: SQLite always (a fresh file in a temp
 * directory per test) and PostgreSQL when CMY_TEST_POSTGRES_URL is set (a fresh
 * schema per test, dropped with CASCADE afterwards; migrations create their tables
 * in it because every connection's search_path names only that schema).
 *
 * Without CMY_TEST_POSTGRES_URL each PostgreSQL suite is replaced by one test of
 * the suite's name marked skipped with the reason, so the run counts it as skipped
 * (a passing stand-in would read as PostgreSQL tested).
 * With the variable set but the server unreachable, every PostgreSQL test fails.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import pg from "pg";
import { sql, type Kysely } from "kysely";
import { openStore, type Store } from "../../src/store/database.js";
import type { Dialect } from "../../src/store/dialect.js";

export const POSTGRES_ENV = "CMY_TEST_POSTGRES_URL";
/** The reason a PostgreSQL suite gives for not running. */
export const POSTGRES_SKIPPED = `${POSTGRES_ENV} not set: the PostgreSQL variant did not run (.ci/run sets it, e.g. postgres://postgres@127.0.0.1:5432/test)`;

/** One isolated, empty database for one test. */
export interface TestDatabase {
  readonly dialect: Dialect;
  /** "SQLite" or "PostgreSQL", for messages. */
  readonly label: string;
  /** What `database.url` / CMY_DATABASE_URL must be to reach this database: "" for SQLite (then `dataDir` says where). */
  readonly url: string;
  /** A fresh temp directory (the SQLite file lives here; also usable as CMY_DATA_DIR for PostgreSQL). */
  readonly dataDir: string;
  /** Opens the store on this database, migrated unless `migrate: false`; closed when the test ends. */
  open(options?: { migrate?: boolean }): Promise<Store>;
  /** Something else to close before the database is removed (run in reverse order of registration). */
  track(close: () => Promise<void>): void;
}

export interface DialectTarget {
  readonly dialect: Dialect;
  readonly label: string;
  /** A new isolated database for the test `t`; removed (with everything opened on it) when `t` ends. */
  create(t: TestContext): Promise<TestDatabase>;
}

/** CMY_TEST_POSTGRES_URL, or undefined when it is not set. */
export function postgresBaseUrl(): string | undefined {
  const url = process.env[POSTGRES_ENV];
  return url === undefined || url.trim() === "" ? undefined : url.trim();
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/** `url` with `options=-c search_path=<schema>` added, so every pooled connection works in that schema only. */
export function withSearchPath(url: string, schema: string): string {
  const separator = url.includes("?") ? "&" : "?";
  return `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

let schemaCounter = 0;

/** Runs `statement` on the server named by CMY_TEST_POSTGRES_URL, with an error that says what failed. */
export async function adminQuery(baseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 10_000 });
  // A connection error emitted after connect() rejected must not become an uncaught exception.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`${POSTGRES_ENV} is set but PostgreSQL at ${redact(baseUrl)} is unreachable: ${(error as Error).message || String(error)}`, { cause: error });
  }
  try {
    await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

function makeTarget(dialect: Dialect): DialectTarget {
  const label = dialect === "sqlite" ? "SQLite" : "PostgreSQL";
  return {
    dialect,
    label,
    async create(t: TestContext): Promise<TestDatabase> {
      const closers: Array<() => Promise<void>> = [];
      const dataDir = await mkdtemp(join(tmpdir(), `cmy-store-${dialect}-`));
      let url = "";
      let dropSchema: (() => Promise<void>) | null = null;
      if (dialect === "postgres") {
        const base = postgresBaseUrl();
        if (base === undefined) throw new Error(`${POSTGRES_ENV} is not set`);
        const schema = `cmy_test_${process.pid}_${++schemaCounter}_${randomBytes(4).toString("hex")}`;
        try {
          await adminQuery(base, `CREATE SCHEMA "${schema}"`);
        } catch (error) {
          await rm(dataDir, { recursive: true, force: true });
          throw error;
        }
        url = withSearchPath(base, schema);
        dropSchema = () => adminQuery(base, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
      t.after(async () => {
        const errors: unknown[] = [];
        for (const close of closers.reverse()) {
          try {
            await close();
          } catch (error) {
            errors.push(error);
          }
        }
        if (dropSchema) await dropSchema();
        await rm(dataDir, { recursive: true, force: true });
        if (errors.length > 0) throw new AggregateError(errors, "closing the test database failed");
      });
      return {
        dialect,
        label,
        url,
        dataDir,
        async open(options = {}) {
          const store = await openStore({ url, dataDir, migrate: options.migrate ?? true });
          closers.push(() => store.close());
          return store;
        },
        track(close) {
          closers.push(close);
        },
      };
    },
  };
}

/** The dialects this run tests; PostgreSQL only when CMY_TEST_POSTGRES_URL is set. */
export function availableDialects(): DialectTarget[] {
  return postgresBaseUrl() === undefined ? [makeTarget("sqlite")] : [makeTarget("sqlite"), makeTarget("postgres")];
}

export function postgresConfigured(): boolean {
  return postgresBaseUrl() !== undefined;
}

/**
 * Registers the suite `body` once per dialect as `describe("<title> [SQLite]")`
 * and `describe("<title> [PostgreSQL]")`. Without CMY_TEST_POSTGRES_URL the
 * PostgreSQL suite is one skipped test of that name, with the reason.
 */
export function forEachDialect(title: string, body: (target: DialectTarget) => void, options: { dialects?: readonly Dialect[] } = {}): void {
  const wanted = options.dialects ?? ["sqlite", "postgres"];
  for (const dialect of wanted) {
    const target = makeTarget(dialect);
    if (dialect === "postgres" && !postgresConfigured()) {
      test(`${title} [${target.label}]`, { skip: POSTGRES_SKIPPED }, () => {});
      continue;
    }
    describe(`${title} [${target.label}]`, () => body(target));
  }
}

/**
 * The tables of this test's database with their columns, as `name(col:type,col:type?)`
 * (`?` = nullable), sorted. On PostgreSQL only the current schema is read, from the
 * catalog: Kysely's introspection scans every schema and fails when another test drops
 * its schema at that moment.
 */
export async function describeTables(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  if (dialect === "sqlite") {
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
    return tables.map((t) => `${t.name}(${t.columns.map((c) => `${c.name}:${c.dataType}${c.isNullable ? "?" : ""}`).join(",")})`).sort();
  }
  const { rows } = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>`
    select table_name, column_name, data_type, is_nullable from information_schema.columns
    where table_schema = current_schema() order by table_name, ordinal_position`.execute(db);
  const tables = new Map<string, string[]>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? [];
    columns.push(`${row.column_name}:${row.data_type}${row.is_nullable === "YES" ? "?" : ""}`);
    tables.set(row.table_name, columns);
  }
  return [...tables].map(([name, columns]) => `${name}(${columns.join(",")})`).sort();
}

/** Just the table names of `describeTables`. */
export async function tableNames(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  return (await describeTables(db, dialect)).map((t) => t.slice(0, t.indexOf("(")));
}
