import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type QueryResult, type SqliteDialectConfig } from "kysely";

/** Statements that write: outside a transaction each takes SQLite's write lock by itself. */
const WRITE_KINDS: ReadonlySet<string> = new Set(["InsertQueryNode", "UpdateQueryNode", "DeleteQueryNode", "MergeQueryNode"]);

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
 * While that thread's RESTART runs, a transaction's begin, and a write made as a single
 * statement outside one, first await its end (`holdWrites`, as history writes do) instead
 * of waiting for the lock in SQLite's busy handler, which would block the event loop.
 * (A raw `sql` write outside a transaction is not recognised as one and waits there.)
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
  #inTransaction = false;
  #gated: DatabaseConnection | null = null;

  constructor(
    settings: SqliteDialectConfig,
    private readonly holdWrites: () => Promise<unknown> | null,
  ) {
    super(settings);
  }

  /** The one connection (behind Kysely's lock, as before), its single-statement writes held while the WAL restarts. */
  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    return (this.#gated ??= {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        if (!this.#inTransaction && WRITE_KINDS.has(query.query.kind)) {
          const held = this.holdWrites();
          if (held !== null) await held;
        }
        return await connection.executeQuery<R>(query);
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
    });
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const held = this.holdWrites();
    if (held !== null) await held;
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
    this.#inTransaction = true;
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#inTransaction = false;
    await super.commitTransaction(connection);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#inTransaction = false;
    await super.rollbackTransaction(connection);
  }
}
