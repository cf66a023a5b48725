import { makeDataDirectory } from "../data-directory.js";
import { join } from "node:path";
import { Kysely, PostgresDialect, sql, type SqliteDatabase, type SqliteStatement } from "kysely";
import BetterSqlite3 from "better-sqlite3";
import type { Database } from "./schema.js";
import type { Dialect } from "./dialect.js";
import { migrateToLatest } from "./migrator.js";
import { makeDatabaseFilePrivate } from "./private-file.js";
import { SqliteCheckpointer } from "./sqlite-checkpointer.js";
import { SqliteImmediateDialect } from "./sqlite-immediate-dialect.js";
import { SCRATCH_SCHEMA } from "./search-vocabulary.js";
import { withoutPassword } from "../url-password.js";

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data is, for logs: the SQLite file or the PostgreSQL URL without its password. */
  readonly location: string;
  /**
   * SQLite only: the connection Kysely drives, for the statements hot enough to skip
   * the query builder (MessagesRepository.append, SqliteTargetIndex). Use it only inside
   * `db.connection().execute(…)`, which holds Kysely's lock on the connection, or
   * its statements would land inside whatever transaction Kysely has open.
   */
  readonly sqlite: BetterSqlite3.Database | null;
  /**
   * SQLite with the background checkpoint: null when writes may go ahead, or a promise to
   * await first while the checkpoint thread restarts the WAL (SqliteCheckpointer.holdWrites).
   */
  holdWrites(): Promise<unknown> | null;
  /** The cheapest round trip (`select 1`): resolves when the database answers, rejects with why it did not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Empty: SQLite in `<dataDir>/cmymessage.db`. `postgres://…`: PostgreSQL. */
  readonly url: string;
  readonly dataDir: string;
  /** Run pending migrations on open (the server does; `cmymessage migrate` does explicitly). */
  readonly migrate: boolean;
  /**
   * SQLite: checkpoint the WAL on a thread of its own instead of inside commits on the
   * event loop (SqliteCheckpointer), telling this of its failures. The server sets it;
   * short-lived commands (the CLI) leave SQLite's default.
   */
  readonly checkpointInBackground?: (error: Error) => void;
  /** SQLite, with checkpointInBackground: the WAL's size limit (`database.sqliteWalLimitMiB`); default WAL_LIMIT_BYTES. */
  readonly walLimitBytes?: number;
}

/** SQLite's database file in the data directory. */
export const SQLITE_FILE = "cmymessage.db";

const INT8_OID = 20;


/** Prepared statements kept per SQL text: Kysely prepares on every query, which costs on the message path. */
const STATEMENT_CACHE_SIZE = 256;

/** Kysely's ROLLBACK of a transaction SQLite has already rolled back: nothing to do. */
const ALREADY_ROLLED_BACK: SqliteStatement = {
  reader: false,
  all: () => [],
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  iterate: () => [][Symbol.iterator](),
};

function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      // On some errors (SQLITE_FULL: a full disk; SQLITE_IOERR, SQLITE_NOMEM) SQLite rolls the
      // transaction back itself. Kysely then sends ROLLBACK, which would fail with "no
      // transaction is active" and replace the real error (the operator would read that
      // instead of "database or disk is full").
      if (sql === "rollback" && !database.inTransaction) return ALREADY_ROLLED_BACK;
      let statement = cache.get(sql);
      if (statement) {
        // Re-insert to keep the map in least-recently-used order.
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

function openSqlite(file: string, holdWrites: () => Promise<unknown> | null): { db: Kysely<Database>; sqlite: BetterSqlite3.Database } {
  makeDatabaseFilePrivate(file);
  const database = new BetterSqlite3(file);
  // WAL lets readers run beside the writer; NORMAL sync is durable across crashes in WAL mode
  // except for the last transactions before a power loss.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  // The search indexer's scratch tables (search-vocabulary.ts), made and emptied every pass:
  // in memory, not in the temp database's file, whose pages went to write() at each commit
  // (~0.3 system calls per message indexed). Attached here because ATTACH cannot run inside
  // the transactions that use it; temp_store stays FILE so a large sort can still spill.
  database.exec(`attach database ':memory:' as ${SCRATCH_SCHEMA}`);
  return { db: new Kysely<Database>({ dialect: new SqliteImmediateDialect({ database: withStatementCache(database) }, holdWrites) }), sqlite: database };
}

/**
 * The longest a PostgreSQL query may take before its caller is told it failed (pg's
 * client-side `query_timeout`): a database that stops answering must turn into errors the
 * services can report, not into requests that wait for ever. Migrations have their own
 * (MIGRATION_QUERY_TIMEOUT_MS).
 */
export const QUERY_TIMEOUT_MS = 10_000;
/**
 * The same for a migration: rebuilding an index over a large history can take minutes
 * (tens of seconds per million messages for the full-text index), waiting for another
 * node's lock longer; a start that hangs for ever is no better than one cut off.
 */
const MIGRATION_QUERY_TIMEOUT_MS = 60 * 60 * 1000;

async function openPostgres(url: string, queryTimeoutMs: number): Promise<Kysely<Database>> {
  // Loaded on use, so SQLite starts (the default) do not pay for the driver.
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    query_timeout: queryTimeoutMs,
    // A server that vanishes without closing the connection is noticed even during a long query.
    keepAlive: true,
    // BIGINT columns hold millisecond times and ids, well inside a double's exact range.
    types: { getTypeParser: (oid: number, format?: string) => (oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) },
  });
  // An idle client that loses its server must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  // A client that loses its server while a query runs fails that query (its caller is told)
  // and also emits 'error', which the pool only listens for on idle clients: unheard, it
  // would be an uncaught exception. The pool drops the broken client when it is released.
  pool.on("connect", (client) => client.on("error", () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Applies PostgreSQL's pending migrations on a pool of their own, with a limit per query
 * of an hour rather than QUERY_TIMEOUT_MS: rebuilding an index over a large history, or
 * waiting for a lock another node holds, may take longer than any request should, and a
 * migration cut off is rolled back, to be cut off again at every start. The names applied.
 */
async function migratePostgres(url: string): Promise<readonly string[]> {
  const migrating = await openPostgres(url, MIGRATION_QUERY_TIMEOUT_MS);
  try {
    return (await migrateToLatest(migrating as Kysely<unknown>, "postgres")).applied;
  } finally {
    await migrating.destroy();
  }
}

function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Applies the pending migrations (`cmymessage migrate`); which, and where. */
export async function migrateStore(options: Pick<StoreOptions, "url" | "dataDir">): Promise<{ applied: readonly string[]; location: string }> {
  if (isPostgresUrl(options.url)) return { applied: await migratePostgres(options.url), location: withoutPassword(options.url) };
  const store = await openStore({ ...options, migrate: false });
  try {
    return { applied: (await migrateToLatest(store.db as Kysely<unknown>, store.dialect)).applied, location: store.location };
  } finally {
    await store.close();
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const postgres = isPostgresUrl(options.url);
  if (options.url !== "" && !postgres) throw new Error("database.url must be empty (SQLite in the data directory) or a postgres:// URL");
  const dialect: Dialect = postgres ? "postgres" : "sqlite";
  const file = join(options.dataDir, SQLITE_FILE);
  if (!postgres) await makeDataDirectory(options.dataDir);
  // The checkpoint thread comes after the migrations; transactions ask it through this (see holdWrites below).
  let checkpointer: SqliteCheckpointer | null = null;
  const holdWrites = (): Promise<unknown> | null => checkpointer?.holdWrites() ?? null;
  if (postgres && options.migrate) await migratePostgres(options.url);
  const { db, sqlite } = postgres ? { db: await openPostgres(options.url, QUERY_TIMEOUT_MS), sqlite: null } : openSqlite(file, holdWrites);
  try {
    if (options.migrate && !postgres) await migrateToLatest(db as Kysely<unknown>, dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  checkpointer = sqlite && options.checkpointInBackground ? new SqliteCheckpointer(sqlite, file, options.checkpointInBackground, { walLimitBytes: options.walLimitBytes }) : null;
  return {
    db,
    dialect,
    location: postgres ? withoutPassword(options.url) : file,
    sqlite,
    holdWrites,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
