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

/**
 * SQLite's index of messages by conversation, (target, time, id), kept behind the writes.
 * Every id at or below `indexed_upto` is in it (SQLite hands out ids in commit order on
 * its one writer, and AUTOINCREMENT never hands one out twice). The methods are
 * synchronous statements on the server's connection: call them only where Kysely's lock
 * on it is held (`db.connection().execute`), never inside another transaction.
 */
export class SqliteTargetIndex {
  readonly #addPending: () => void;
  /** Appended by this process since the last catch-up; unknown (the tail of a previous run) until the first. */
  #pending = Number.POSITIVE_INFINITY;

  constructor(sqlite: BetterSqlite3.Database) {
    const add = sqlite.prepare(
      "insert into message_targets (target, time, id) select target, time, id from messages where id > (select indexed_upto from message_targets_state where id = 1) order by target, time, id",
    );
    const mark = sqlite.prepare("update message_targets_state set indexed_upto = max(indexed_upto, coalesce((select max(id) from messages), 0)) where id = 1");
    this.#addPending = sqlite.transaction(() => {
      add.run();
      mark.run();
    });
  }

  /** After a commit of `count` messages: adds the pending ones once there are a batch's worth. */
  appended(count: number): void {
    this.#pending += count;
    if (this.#pending < TARGET_INDEX_BATCH_ROWS) return;
    try {
      this.catchUp();
    } catch {
      // The messages are committed, which is what the append's caller is told about; the
      // rows stay pending, and the next read of the index adds them or fails with why.
    }
  }

  /** Whether a read must add messages first (catchUp writes). */
  get behind(): boolean {
    return this.#pending > 0;
  }

  /** Adds every stored message not yet in the index (before any read of it). */
  catchUp(): void {
    if (this.#pending === 0) return;
    this.#addPending();
    this.#pending = 0;
  }
}
