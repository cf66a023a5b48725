import { sql, type Kysely, type RawBuilder, type Selectable } from "kysely";
import type { Database, MessagesTable } from "./schema.js";
import type { Dialect } from "./dialect.js";
import { SearchTimeout, type MessageSearch, type SearchHit, type SearchIndexQuery } from "../core/chat/search.js";
import { foldedSenderAccount, toStored } from "./messages-repository.js";
import { fts5Match, postgresDocument, postgresTsquery } from "./search-match.js";
import type { SearchIndexer } from "./search-indexer.js";
import { LexemeFrequencies } from "./lexeme-frequencies.js";
import { prefixWords } from "./search-vocabulary.js";

/** PostgreSQL's work_mem for one search: room for an exact bitmap of a few million matches. */
const SEARCH_WORK_MEM = "64MB";

/**
 * The walk (see #onPostgres) reads at most this many times the messages its words'
 * share says would hold `limit` matches: room for a reader who may read only part of
 * the messages, and for chance. It stops at the `limit`th match, so this is only what a
 * walk that finds too few costs.
 */
const WALK_MARGIN = 3;

/**
 * The most messages a walk reads (~0.8 µs each when they do not match: ~80 ms). A
 * search expected to need more goes by the index; a walk that finds too few was wasted
 * at most this much.
 */
const MAX_WALK_ROWS = 100_000;

/**
 * How many messages the walk may read for each match the index would fetch, and still be
 * chosen: a walked message is read in order (~0.8 µs), an index match from anywhere in
 * the table (a heap page of its own: ~10–25 µs when not cached).
 */
const WALK_ROWS_PER_INDEX_MATCH = 10;

/**
 * Message search on the index made by migration 0004-search: SQLite's FTS5 table
 * `messages_fts` (filled behind the writes by SearchIndexer, 0009), PostgreSQL's GIN
 * index on `to_tsvector('simple', text)` or a walk of the newest messages (#onPostgres).
 * Results are limited in SQL to the given channels and the account's direct
 * conversations, newest first: by (time, id) on PostgreSQL, the order history pages use;
 * by row on SQLite, where rows are stored in time order (see #onSqlite).
 */
export class MessageSearchRepository implements MessageSearch {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** SQLite indexes behind the writes: what is pending is indexed before each search, so none is missed. */
    private readonly indexer: SearchIndexer,
    /** PostgreSQL: how common the words are, to choose the search's way (#onPostgres). */
    private readonly frequencies = new LexemeFrequencies(db),
  ) {}

  async search(query: SearchIndexQuery): Promise<SearchHit[]> {
    if (query.terms.length === 0 || query.limit <= 0) return [];
    await this.indexer.catchUp();
    const rows = this.dialect === "sqlite" ? await this.#onSqlite(query) : await this.#onPostgres(query);
    return rows.map((row) => ({ message: toStored(row), position: { time: Number(row.time), id: Number(row.id) } }));
  }

  /**
   * SQLite: the FTS table is read first (CROSS JOIN fixes the join order), newest row
   * first, each match fetched by rowid and checked, until `limit` readable ones are found:
   * the work grows with the matches skipped, not with all the matches. Ordering by
   * (time, id) instead made SQLite fetch and sort every match first: with 10 million
   * messages, 2.7 s for a word in 1.5 % of them (bench/README.md, "Scale"). The row order
   * is the order messages were stored in, which on SQLite (one server, one writer, ids
   * given at commit) is the order of their times but for a clock that stepped back.
   *
   * A prefix (the last word) is searched as the indexed words it stands for, when there
   * are at most MAX_PREFIX_WORDS: FTS5 merges a prefix's words in full before the first
   * row, an OR of words it reads newest first (migration 0010-search-terms).
   */
  async #onSqlite(query: SearchIndexQuery): Promise<Selectable<MessagesTable>[]> {
    const before = query.before === null ? sql`` : sql`and ${sql.ref("messages_fts.rowid")} < ${query.before.id}`;
    const statement = (prefixWords: readonly string[] | null) => sql<Selectable<MessagesTable>>`select m.* from messages_fts cross join messages as m on m.id = messages_fts.rowid
      where messages_fts match ${fts5Match(query.terms, prefixWords)} and ${readableBy(query, "m", "sqlite")} ${before}
      order by ${sql.ref("messages_fts.rowid")} desc limit ${query.limit}`;
    // Only the last word may be a prefix: asked as the words it stands for when they are few.
    if (!query.terms[query.terms.length - 1]!.prefix) return (await statement(null).execute(this.db)).rows;
    // One transaction: the words and the messages are read from the same state of the index.
    return await this.db.transaction().execute(async (trx) => {
      const words = await prefixWords(trx, query.terms);
      if (words !== null && words.length === 0) return [];
      return (await statement(words).execute(trx)).rows;
    });
  }

  /**
   * PostgreSQL, two ways to the newest `limit` matches, chosen here rather than by the
   * planner:
   * - the walk: the newest messages (by the `messages_time` index, from the
   *   page's start), checked one by one. When at least `limit` readable matches are among
   *   them they are the newest ones, since every message outside the walk is older than
   *   every message in it. A word in 1.5 % of 10 million messages: 21 matches in ~3,000
   *   messages instead of fetching all 150,000 (1.4 s).
   * - the index: every match from the GIN index, kept when readable, the newest `limit`
   *   by (time, id). Always right; fast when the words are rare. Taken when the walk is
   *   not expected to find enough (#walkPlan) or did not.
   * The planner cannot be left to choose: ordered by `time` it walks messages_time for
   * rare words too (a scan of all history), its estimate for prefix words (`word:*`)
   * being a fixed guess; so the index query orders by `time + 0`, which no index provides.
   */
  async #onPostgres(query: SearchIndexQuery): Promise<Selectable<MessagesTable>[]> {
    const walk = await this.#walkPlan(query);
    const search = async (db: Kysely<Database>) => {
      if (walk !== null) {
        const walked = await this.#walk(db, query, walk);
        if (walked.length >= query.limit) return walked;
      }
      return await this.#byIndex(db, query);
    };
    return query.timeoutMs === undefined ? await search(this.db) : await this.#bounded(search, query.timeoutMs);
  }

  /**
   * The walk, ordered by `time` alone, which messages_time gives as it is read: ordered
   * by (time, id) as pages are, PostgreSQL sorted each run of equal times (Incremental
   * Sort), two thirds of the walk's time (10,000 rows: 15–21 ms against 6–7). So both
   * the walk and its matches are cut WITH TIES: the walk holds every message of its last
   * time, so it is exactly the newest messages from the page's start, and the matches
   * every match of the last time kept; sorted by (time, id) here, the first `limit` are
   * the newest.
   */
  async #walk(db: Kysely<Database>, query: SearchIndexQuery, { rows: walkRows, icu }: Walk): Promise<Selectable<MessagesTable>[]> {
    const m = (column: keyof MessagesTable) => sql.ref(`m.${column}`);
    const w = (column: keyof MessagesTable) => sql.ref(`w.${column}`);
    const from = query.before === null ? sql`` : sql`where ${w("time")} <= ${query.before.time} and (${w("time")}, ${w("id")}) < (${query.before.time}, ${query.before.id})`;
    const checks = [...substringChecks(query, "m", icu), postgresMatch(query, "m")];
    const { rows } = await sql<Selectable<MessagesTable>>`select m.* from (
        select w.* from messages as w ${from} order by ${w("time")} desc fetch first (${walkRows}) rows with ties
      ) as m where ${sql.join(checks, sql` and `)}
      order by ${m("time")} desc fetch first (${query.limit}) rows with ties`.execute(db);
    return rows.sort(newestFirst).slice(0, query.limit);
  }

  async #byIndex(db: Kysely<Database>, query: SearchIndexQuery): Promise<Selectable<MessagesTable>[]> {
    const m = (column: keyof MessagesTable) => sql.ref(`m.${column}`);
    const before = query.before === null ? sql`` : sql`and (${m("time")}, ${m("id")}) < (${query.before.time}, ${query.before.id})`;
    const { rows } = await sql<Selectable<MessagesTable>>`select m.* from messages as m
      where ${postgresMatch(query, "m")} ${before}
      order by ${m("time")} + 0 desc, ${m("id")} desc limit ${query.limit}`.execute(db);
    return rows;
  }

  /**
   * How many of the newest messages to walk for this search, or null to go by the index:
   * walk when the words are common enough that reaching `limit` matches takes fewer
   * messages than WALK_ROWS_PER_INDEX_MATCH times the matches the index would fetch.
   */
  async #walkPlan(query: SearchIndexQuery): Promise<Walk | null> {
    const estimate = await this.frequencies.estimate(query.terms);
    if (estimate === null) return null;
    const expected = query.limit / estimate.share;
    if (expected > WALK_ROWS_PER_INDEX_MATCH * estimate.share * estimate.messages) return null;
    const rows = Math.ceil(WALK_MARGIN * expected);
    return rows <= MAX_WALK_ROWS ? { rows, icu: estimate.icu } : null;
  }

  /**
   * Runs the PostgreSQL search in a transaction of its own with settings for it alone
   * (set_config(…, true) is SET LOCAL, and takes parameters where SET does not):
   * statement_timeout, so the database itself cancels a search that runs too long instead
   * of working on after the pool's client gave up; no JIT (compiling took 1.7 s of a
   * 10-million-message search, more than it saved); enough work_mem for the bitmap of a
   * common word to stay exact, not lossy (lossy, every row of each page was parsed again);
   * and no parallel workers: for a walk from early in history the planner chose a
   * Parallel Index Scan, whose workers took 30 ms to start for a 20 ms walk, and a
   * search is one person's request on a server shared by all.
   */
  async #bounded(search: (trx: Kysely<Database>) => Promise<Selectable<MessagesTable>[]>, timeoutMs: number): Promise<Selectable<MessagesTable>[]> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`select set_config('statement_timeout', ${String(Math.max(1, Math.round(timeoutMs)))}, true), set_config('jit', 'off', true), set_config('work_mem', ${SEARCH_WORK_MEM}, true), set_config('max_parallel_workers_per_gather', '0', true)`.execute(trx);
        return await search(trx);
      });
    } catch (error) {
      // 57014 query_canceled: what statement_timeout raises.
      if ((error as { code?: unknown }).code === "57014") throw new SearchTimeout(timeoutMs);
      throw error;
    }
  }
}

/** A walk's length, and whether the database lowercases with ICU (see substringChecks). */
interface Walk {
  readonly rows: number;
  readonly icu: boolean;
}

/** Newest first by (time, id): the order of search results and of history pages. */
function newestFirst(a: Selectable<MessagesTable>, b: Selectable<MessagesTable>): number {
  return Number(b.time) - Number(a.time) || Number(b.id) - Number(a.id);
}

/** The words, in what the reader may read: the GIN index's expression, so the index serves it. */
function postgresMatch(query: SearchIndexQuery, alias: string): RawBuilder<unknown> {
  return sql`${postgresDocument(`${alias}.text`)} @@ ${postgresTsquery(query.terms)} and ${readableBy(query, alias, "postgres")}`;
}

/** A word the parser keeps whole, as one lexeme: its lowercase letters (see substringChecks). */
const ASCII_WORD = /^[A-Za-z]+$/;

/**
 * For the walk, a cheap first test of each row: `text ILIKE '%word%'` for each word of
 * ASCII letters. A message whose vector holds the word (or a word it begins) holds it
 * as a piece of its text, lowercased: the 'simple' configuration's lexemes are pieces of
 * the text, lowercased character by character (towlower), and in a UTF-8 database ILIKE
 * lowercases text and pattern with lower() before it compares, which with the libc
 * provider is the same towlower. So the test drops no match, and the planner runs it
 * before to_tsvector (cost 1 against 100), the most a walked row costs: 20,000 rows,
 * 15 ms with it against 80 ms without (strpos(lower(text), …) took 26). With an ICU
 * default collation, lower() is ICU's, which turns `İ` into `i̇` and `I` into `ı` in a
 * Turkish locale where towlower gives `i`: words holding an `i` are not tested there.
 * Other words are left to to_tsvector alone: the parser may split them (`1e5x` is `1e5`
 * and `x`), and their lowercase is not ASCII's.
 */
function substringChecks(query: SearchIndexQuery, alias: string, icu: boolean): RawBuilder<unknown>[] {
  return query.terms
    .filter((term) => ASCII_WORD.test(term.text) && !(icu && /i/i.test(term.text)))
    .map((term) => sql`${sql.ref(`${alias}.text`)} ilike ${`%${term.text}%`}`);
}

/**
 * What the reader may read, on the messages aliased `alias`: the given channels, and its
 * own direct conversations (keys start with "@", channels' with "#", and hold its account).
 * PostgreSQL gets the channels as one array, read by a subquery: the planner estimates
 * `target IN (…)` or `= ANY(array)` element by element, 4–8 ms of planning for a reader
 * of 1,000 channels (10 million messages), where the subquery is planned in 0.3 ms and
 * checked by a hash table built once.
 */
function readableBy(query: SearchIndexQuery, alias: string, dialect: Dialect): RawBuilder<unknown> {
  const column = (name: keyof MessagesTable) => sql.ref(`${alias}.${name}`);
  const own = sql`(${column("target")} like '@%' and (${foldedSenderAccount(alias, dialect)} = ${query.account} or ${column("recipient_account")} = ${query.account}))`;
  if (query.channelKeys.length === 0) return own;
  const channels = dialect === "postgres" ? sql`${column("target")} in (select unnest(${[...query.channelKeys]}::text[]))` : sql`${column("target")} in (${sql.join(query.channelKeys)})`;
  return sql`(${own} or ${channels})`;
}
