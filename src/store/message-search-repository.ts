import { sql, type Kysely, type RawBuilder, type Selectable } from "kysely";
import type { Database, MessagesTable } from "./schema.js";
import type { Dialect } from "./dialect.js";
import { SearchTimeout, type MessageSearch, type SearchHit, type SearchIndexQuery } from "../core/chat/search.js";
import { toStored } from "./messages-repository.js";
import { fts5Match, postgresTsquery } from "./search-match.js";
import type { SearchIndexer } from "./search-indexer.js";

/** PostgreSQL's work_mem for one search: room for an exact bitmap of a few million matches. */
const SEARCH_WORK_MEM = "64MB";

/**
 * Message search on the index made by migration 0004-search: SQLite's FTS5 table
 * `messages_fts` (filled behind the writes by SearchIndexer, 0009), PostgreSQL's GIN index on `to_tsvector('simple', text)`. Results
 * are limited in SQL to the given channels and the account's direct conversations,
 * newest first: by (time, id) on PostgreSQL, the order history pages use; by row on
 * SQLite, where rows are stored in time order (see search()).
 */
export class MessageSearchRepository implements MessageSearch {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** SQLite indexes behind the writes: what is pending is indexed before each search, so none is missed. */
    private readonly indexer: SearchIndexer,
  ) {}

  async search(query: SearchIndexQuery): Promise<SearchHit[]> {
    if (query.terms.length === 0 || query.limit <= 0) return [];
    await this.indexer.catchUp();
    const m = (column: keyof MessagesTable) => sql.ref(`m.${column}`);
    // The reader's own direct conversations: keys start with "@" (channels with "#") and hold its account.
    const readable: RawBuilder<unknown>[] = [sql`(${m("target")} like '@%' and (${m("sender_account")} = ${query.account} or ${m("recipient_account")} = ${query.account}))`];
    if (query.channelKeys.length > 0) readable.push(sql`${m("target")} in (${sql.join(query.channelKeys)})`);
    // SQLite pages by row (see below); PostgreSQL by (time, id).
    const before =
      query.before === null
        ? sql``
        : this.dialect === "sqlite"
          ? sql`and ${sql.ref("messages_fts.rowid")} < ${query.before.id}`
          : sql`and (${m("time")}, ${m("id")}) < (${query.before.time}, ${query.before.id})`;
    const where = sql`(${sql.join(readable, sql` or `)}) ${before}`;
    // SQLite: the FTS table is read first (CROSS JOIN fixes the join order), newest row
    // first, each match fetched by rowid and checked, until `limit` readable ones are found:
    // the work grows with the matches skipped, not with all the matches. Ordering by
    // (time, id) instead made SQLite fetch and sort every match first: with 10 million
    // messages, 2.7 s for a word in 1.5 % of them (bench/README.md, "Scale"). The row order
    // is the order messages were stored in, which on SQLite (one server, one writer, ids
    // given at commit) is the order of their times but for a clock that stepped back.
    //
    // PostgreSQL finds every match through the GIN index, then keeps the newest `limit` by
    // (time, id): rows come from several nodes there, so ids are not in time order.
    //
    // PostgreSQL: ordered by `time + 0`, which no index provides. Ordered by `time`, the
    // planner may walk messages_time backwards and run to_tsvector on each row until it has
    // `limit` matches — fast for a common word, a scan of all history for a rare one, and
    // its estimate for prefix queries (`word:*`) is a fixed guess, so it picks that walk
    // exactly when it should not. The same order, the index decides.
    const statement =
      this.dialect === "sqlite"
        ? sql<Selectable<MessagesTable>>`select m.* from messages_fts cross join messages as m on m.id = messages_fts.rowid
            where messages_fts match ${fts5Match(query.terms)} and ${where}
            order by ${sql.ref("messages_fts.rowid")} desc limit ${query.limit}`
        : sql<Selectable<MessagesTable>>`select m.* from messages as m
            where to_tsvector('simple', ${m("text")}) @@ ${postgresTsquery(query.terms)} and ${where}
            order by ${m("time")} + 0 desc, ${m("id")} desc limit ${query.limit}`;
    const { rows } = this.dialect === "sqlite" || query.timeoutMs === undefined ? await statement.execute(this.db) : await this.#boundedOnPostgres(statement, query.timeoutMs);
    return rows.map((row) => ({ message: toStored(row), position: { time: Number(row.time), id: Number(row.id) } }));
  }

  /**
   * Runs the PostgreSQL search in a transaction of its own with settings for it alone
   * (set_config(…, true) is SET LOCAL, and takes parameters where SET does not):
   * statement_timeout, so the database itself cancels a search that runs too long instead
   * of working on after the pool's client gave up; no JIT (compiling took 1.7 s of a
   * 10-million-message search, more than it saved); and enough work_mem for the bitmap of a
   * common word to stay exact, not lossy (lossy, every row of each page was parsed again).
   */
  async #boundedOnPostgres(statement: RawBuilder<Selectable<MessagesTable>>, timeoutMs: number): Promise<{ rows: Selectable<MessagesTable>[] }> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`select set_config('statement_timeout', ${String(Math.max(1, Math.round(timeoutMs)))}, true), set_config('jit', 'off', true), set_config('work_mem', ${SEARCH_WORK_MEM}, true)`.execute(trx);
        return await statement.execute(trx);
      });
    } catch (error) {
      // 57014 query_canceled: what statement_timeout raises.
      if ((error as { code?: unknown }).code === "57014") throw new SearchTimeout(timeoutMs);
      throw error;
    }
  }
}
