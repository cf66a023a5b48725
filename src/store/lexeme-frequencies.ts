import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { SearchTerm } from "../core/chat/search-terms.js";

/** How long the statistics read from PostgreSQL are used before they are read again. */
const REFRESH_MS = 10 * 60_000;

/** A plain word: the 'simple' parser makes it one lexeme, itself lowercased. */
const ONE_LEXEME = /^[\p{L}\p{N}]+$/u;

interface Statistics {
  readonly readAt: number;
  /** PostgreSQL's estimate of the messages stored (pg_class.reltuples; 0 before the first ANALYZE). */
  readonly messages: number;
  /** Whether the database's default collation is ICU's (PostgreSQL 15 and later may have it so). */
  readonly icu: boolean;
  /** Each of the most common lexemes, with the share of messages that hold it. */
  readonly shares: ReadonlyMap<string, number>;
}

/**
 * The share of messages that hold a search's words, as PostgreSQL's own statistics
 * tell it: ANALYZE (autovacuum runs it as the table grows) keeps, for the GIN index's
 * expression `to_tsvector('simple', text)`, its most common lexemes (up to ten times
 * the statistics target: 1,000 by default) and the share of rows holding each. The
 * planner reads the same figures; the search reads them to choose its own way to the
 * newest matches, because the planner's choice for this query is the one it gets
 * wrong (see MessageSearchRepository).
 *
 * Read once per REFRESH_MS; a word missing from them is rarer than the rarest they
 * list, or the table was never analysed, and `estimate` says null: not known to be common.
 */
export class LexemeFrequencies {
  #statistics: Statistics | null = null;
  #reading: Promise<Statistics> | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The estimated share of messages holding every term (the terms taken as independent),
   * with the number of messages it is a share of; null when one of the terms is not
   * among the common lexemes or not a single plain word, or the statistics cannot be
   * read. A prefix term counts every common lexeme it begins.
   */
  async estimate(terms: readonly SearchTerm[]): Promise<{ share: number; messages: number; icu: boolean } | null> {
    const statistics = await this.#current();
    if (terms.length === 0) return null;
    let share = 1;
    for (const term of terms) {
      if (!ONE_LEXEME.test(term.text)) return null;
      const lexeme = term.text.toLowerCase();
      let termShare = statistics.shares.get(lexeme) ?? 0;
      if (term.prefix) for (const [common, s] of statistics.shares) if (common !== lexeme && common.startsWith(lexeme)) termShare += s;
      if (termShare === 0) return null;
      share *= Math.min(1, termShare);
    }
    return { share, messages: statistics.messages, icu: statistics.icu };
  }

  /**
   * The statistics, read at the first search and then again in the background once
   * REFRESH_MS have passed: reading pg_stats takes ~20 ms at 10 million messages, which
   * the search that finds them stale does not wait for.
   */
  async #current(): Promise<Statistics> {
    const statistics = this.#statistics;
    if (statistics !== null && Date.now() - statistics.readAt < REFRESH_MS) return statistics;
    const reading = (this.#reading ??= this.#read()
      // Without statistics every search takes the index's way, which is always right.
      .catch((): Statistics => ({ readAt: Date.now(), messages: 0, icu: true, shares: new Map() }))
      .then((read) => (this.#statistics = read))
      .finally(() => (this.#reading = null)));
    return statistics ?? (await reading);
  }

  async #read(): Promise<Statistics> {
    // most_common_elems is anyarray: through text to text[]. most_common_elem_freqs has the
    // lexemes' shares, then the smallest and the largest of them (and a null share, for arrays).
    // pg_database.datlocprovider is new in PostgreSQL 15 (before it, no ICU default): read through to_jsonb, null where it is missing.
    const { rows } = await sql<{ messages: number | null; provider: string | null; lexemes: string[] | null; shares: number[] | null }>`
      select c.reltuples as messages, s.most_common_elems::text::text[] as lexemes, s.most_common_elem_freqs as shares,
        (select to_jsonb(d) ->> 'datlocprovider' from pg_database as d where d.datname = current_database()) as provider
      from pg_class as c left join pg_stats as s on s.schemaname = current_schema() and s.tablename = 'messages_text_search'
      where c.oid = to_regclass('messages')`.execute(this.db);
    const shares = new Map<string, number>();
    const row = rows[0];
    if (row?.lexemes && row.shares) row.lexemes.forEach((lexeme, i) => shares.set(lexeme, Number(row.shares![i])));
    return { readAt: Date.now(), messages: Math.max(0, Number(row?.messages ?? 0)), icu: row?.provider === "i", shares };
  }
}
