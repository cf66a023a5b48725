import type BetterSqlite3 from "better-sqlite3";

/**
 * Stored messages not yet in `message_targets` after which an append adds them: one sorted
 * insert then touches each conversation's leaf page once for many messages, where an index
 * kept by each commit wrote a page per message (migration 0017-target-index-behind). The
 * rooms bench stores 10,000 messages a second, so this is ~0.4 s of traffic there; a read
 * of the index adds whatever is pending first, so this bounds its work (a few ms), not
 * what it finds.
 */
export const TARGET_INDEX_BATCH_ROWS = 4096;

/** The id below which every stored message is in the index (read where SQL needs the tail). */
export const INDEXED_UPTO = "(select indexed_upto from message_targets_state where id = 1)";

/**
 * SQLite's index of messages by conversation, (target, time, id), kept behind the writes.
 * Every id at or below `indexed_upto` is in it (SQLite hands out ids in commit order on
 * its one writer, and AUTOINCREMENT never hands one out twice). The methods are
 * synchronous statements on the server's connection: call them only where Kysely's lock
 * on it is held (`db.connection().execute`), never inside another transaction.
 */
export class SqliteTargetIndex {
  readonly #addPending: () => void;
  readonly #pendingRows: BetterSqlite3.Statement;
  /** Appended by this process since the last catch-up (when to add them in bulk). */
  #appended = 0;
  #failing = false;

  constructor(
    sqlite: BetterSqlite3.Database,
    /** Told when adding pending messages fails (a full disk): once per outage. */
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    // OR IGNORE: a row already there (a migration stopped half-way and run again) is no error.
    const add = sqlite.prepare(
      `insert or ignore into message_targets (target, time, id) select target, time, id from messages where id > ${INDEXED_UPTO} order by target, time, id`,
    );
    const mark = sqlite.prepare("update message_targets_state set indexed_upto = max(indexed_upto, coalesce((select max(id) from messages), 0)) where id = 1");
    // Both sides are one B-tree look-up: the stored mark, not a count of this process's
    // appends, so messages another process stored (a second server on the file) count too.
    this.#pendingRows = sqlite.prepare(`select coalesce((select max(id) from messages), 0) > ${INDEXED_UPTO} as behind`).pluck();
    this.#addPending = sqlite.transaction(() => {
      add.run();
      mark.run();
    });
  }

  /** After a commit of `count` messages: adds the pending ones once there are a batch's worth. */
  appended(count: number): void {
    this.#appended += count;
    if (this.#appended < TARGET_INDEX_BATCH_ROWS) return;
    // The messages are committed, which is what the append's caller is told about: a failure
    // here leaves them pending, and reads find them in the tail (messages-repository.ts).
    this.tryCatchUp();
  }

  /** Whether stored messages are missing from the index. */
  behind(): boolean {
    return this.#pendingRows.get() === 1;
  }

  /**
   * Adds every stored message not yet in the index; false when that failed (a full disk, a
   * lock held too long by another process): the caller must then read the tail itself.
   */
  tryCatchUp(): boolean {
    try {
      this.#addPending();
      this.#appended = 0;
      this.#failing = false;
      return true;
    } catch (error) {
      if (!this.#failing) this.onError(error);
      this.#failing = true;
      return false;
    }
  }
}
