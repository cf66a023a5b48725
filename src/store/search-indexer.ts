import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { Dialect } from "./dialect.js";
import { detached } from "../detached.js";
import { addIndexedWords } from "./search-vocabulary.js";

/** Rows indexed per transaction: large enough that FTS5 writes few segments, small enough to keep each pass short. */
const BATCH_ROWS = 2000;
/** How often stored messages are added to the index: a search indexes what is pending first, so this only bounds the work left for it. */
const INTERVAL_MS = 500;
/**
 * The wait after a full batch, when more may be pending: one batch per INTERVAL_MS is
 * 4,000 messages a second, and a server storing more (the rooms bench stores 10,000)
 * fell behind for good; every search, and the stop, then indexed the whole backlog at
 * once, holding the event loop for as long (~2 µs a message). A batch takes ~3–7 ms, so
 * catching up holds the loop ~10 % of the time at most, in pieces of a few ms.
 */
const CATCH_UP_INTERVAL_MS = 50;

/**
 * Adds stored messages to SQLite's full-text index in batches, behind the
 * writes (migration 0009-search-index-behind says why). `indexed_upto` is the
 * highest message id in the index; every id below it is indexed too, since
 * SQLite hands out ids in commit order on the server's one connection.
 * On PostgreSQL there is nothing to do: its GIN index is kept by the database.
 */
export class SearchIndexer {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<number> | null = null;
  #failing = false;
  #generation = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** Told when a background pass fails (the next pass, or a search, retries). */
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Indexes up to BATCH_ROWS pending messages in one transaction; resolves to how many. */
  indexPending(): Promise<number> {
    if (this.dialect !== "sqlite") return Promise.resolve(0);
    // One pass at a time: two would read the same mark and index the same rows twice.
    this.#running ??= this.#pass().finally(() => (this.#running = null));
    return this.#running;
  }

  /** Indexes everything stored so far (a search calls this first, so it finds every message). */
  async catchUp(): Promise<void> {
    while ((await this.indexPending()) === BATCH_ROWS) {
      // A full batch: there may be more.
    }
  }

  /** Indexes every INTERVAL_MS, and again after CATCH_UP_INTERVAL_MS while batches come out full. */
  start(): void {
    if (this.dialect !== "sqlite" || this.#timer) return;
    this.#schedule(++this.#generation, INTERVAL_MS);
  }

  /** `generation`: a pass of a start before the last stop() does not schedule another. */
  #schedule(generation: number, delayMs: number): void {
    this.#timer = setTimeout(() => {
      const next = (delay: number) => generation === this.#generation && this.#schedule(generation, delay);
      detached(
        this.indexPending().then(
          (indexed) => {
            this.#failing = false;
            next(indexed === BATCH_ROWS ? CATCH_UP_INTERVAL_MS : INTERVAL_MS);
          },
          (error: unknown) => {
            next(INTERVAL_MS);
            throw error;
          },
        ),
        (error) => {
          // Once per outage (a full disk fails every pass until there is room), not every interval.
          if (!this.#failing) this.onError(error);
          this.#failing = true;
        },
      );
    }, delayMs);
    this.#timer.unref();
  }

  /** Stops the timer and indexes what is pending, so a clean stop leaves nothing behind. */
  async stop(): Promise<void> {
    this.#generation++;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.dialect === "sqlite") await this.catchUp();
  }

  async #pass(): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const state = await sql<{ from: number; to: number | null; rows: number }>`
        select s.indexed_upto as "from", max(p.id) as "to", count(p.id) as "rows"
        from search_index_state as s
        left join (select id from messages where id > (select indexed_upto from search_index_state where id = 1) order by id limit ${BATCH_ROWS}) as p
        where s.id = 1`.execute(trx);
      const row = state.rows[0];
      if (!row) return 0;
      if (row.to === null || row.rows === 0) {
        // Nothing new, but an indexed message's changed text may have words to add.
        await addIndexedWords(trx, row.from, row.from);
        return 0;
      }
      await sql`insert into messages_fts (rowid, text) select id, text from messages where id > ${row.from} and id <= ${row.to} order by id`.execute(trx);
      await addIndexedWords(trx, row.from, row.to);
      await sql`update search_index_state set indexed_upto = ${row.to} where id = 1`.execute(trx);
      return Number(row.rows);
    });
  }
}
