import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from "kysely";

/**
 * Kysely's SQLite dialect, with transactions begun `BEGIN IMMEDIATE`: the write lock is
 * taken at the start, where SQLite waits for it (busy_timeout), instead of at the first
 * write. A deferred transaction that has read and then writes while another connection
 * holds the lock gets SQLITE_BUSY at once, the busy handler never called (SQLite cannot
 * wait there without risking a deadlock). The WAL checkpoint thread takes that lock for
 * its RESTART checkpoints (src/store/sqlite-checkpointer.ts), so read-then-write
 * transactions (the search indexer's pass, a push subscription's replacement) would
 * otherwise fail now and then.
 *
 * While that thread's RESTART runs, a transaction's begin first awaits its end
 * (`holdWrites`, as history writes do) instead of waiting for the lock in SQLite's busy
 * handler, which would block the event loop.
 */
export class SqliteImmediateDialect extends SqliteDialect {
  readonly #settings: SqliteDialectConfig;

  constructor(
    settings: SqliteDialectConfig,
    private readonly holdWrites: () => Promise<unknown> | null = () => null,
  ) {
    super(settings);
    this.#settings = settings;
  }

  override createDriver(): Driver {
    return new ImmediateDriver(this.#settings, this.holdWrites);
  }
}

class ImmediateDriver extends SqliteDriver {
  constructor(
    settings: SqliteDialectConfig,
    private readonly holdWrites: () => Promise<unknown> | null,
  ) {
    super(settings);
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const held = this.holdWrites();
    if (held !== null) await held;
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}
