import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { SearchTerm } from "../core/chat/search-terms.js";

/** Most words a prefix is turned into; a prefix standing for more is searched as a prefix. */
export const MAX_PREFIX_WORDS = 64;

/**
 * The in-memory database (attached to every SQLite connection, database.ts) that holds the
 * scratch tables below: they are filled and emptied on every indexing pass and search.
 */
export const SCRATCH_SCHEMA = "search_scratch";
const SCRATCH = sql.raw(SCRATCH_SCHEMA);

/** The tokenizer of `messages_fts` (migration 0004-search): words here must be its words. */
const TOKENIZER = sql.raw("'unicode61 remove_diacritics 2'");

/*
 * SQLite's vocabulary of the full-text index, `search_terms` (migration 0010-search-terms):
 * kept as messages are indexed, and read to turn a search's last-word prefix into the words
 * it stands for.
 *
 * Words are made by FTS5's own tokenizer, never by ours: a contentless FTS5 table in the
 * connection's scratch database (in memory), with the index's tokenizer, takes the text and its `fts5vocab`
 * says which words it made (case and accents folded exactly as in the index). Contentless,
 * so emptying it is one 'delete-all' rather than a delete per row: a batch of 2,000
 * messages costs ~1 ms, against ~2.5 ms to index them.
 *
 * Words of digits only are not kept: numbers, times and counters are most of the words
 * chat makes new (in the rooms bench every message carries a fresh timestamp, and
 * keeping them cost ~4 % of its CPU), and a prefix of digits is searched as a prefix.
 * A prefix holding anything else begins only words that hold it too, which are kept.
 */

/**
 * Adds to search_terms the words of messages (after, upTo] and of the indexed messages
 * whose text changed (search_terms_pending); run in the indexing transaction.
 */
export async function addIndexedWords(trx: Kysely<Database>, after: number, upTo: number): Promise<void> {
  if (upTo <= after) {
    const changed = await sql<{ id: number }>`select id from search_terms_pending where id <= ${after} limit 1`.execute(trx);
    if (changed.rows.length === 0) return;
  }
  await prepareWordsTable(trx);
  await sql`insert into ${SCRATCH}.search_words (rowid, text) select id, text from messages
    where (id > ${after} and id <= ${upTo}) or id in (select id from search_terms_pending where id <= ${after})`.execute(trx);
  await sql`insert or ignore into search_terms (term) select term from ${SCRATCH}.search_words_terms where term glob '*[^0-9]*'`.execute(trx);
  await sql`insert into ${SCRATCH}.search_words (search_words) values ('delete-all')`.execute(trx);
  await sql`delete from search_terms_pending where id <= ${after}`.execute(trx);
}

/**
 * The indexed words that begin with the last term's prefix as the index folds it, in
 * byte order, for a search run in `trx` (with the MATCH, so both see one state); null
 * when the caller should search the prefix itself: more than MAX_PREFIX_WORDS words; a
 * prefix of digits only; a prefix the tokenizer does not make one token of (`unicode61`
 * splits words on a few characters JavaScript calls letters); or another term the
 * tokenizer makes nothing of, which FTS5 leaves out of an implicit AND but not out of the
 * explicit one the words are joined with (search-match.ts).
 */
export async function prefixWords(trx: Kysely<Database>, terms: readonly SearchTerm[]): Promise<string[] | null> {
  await prepareQueryTable(trx);
  for (const [i, term] of terms.entries()) await sql`insert into ${SCRATCH}.search_query (rowid, text) values (${i + 1}, ${term.text})`.execute(trx);
  const tokens = (await sql<{ doc: number; term: string }>`select doc, term from ${SCRATCH}.search_query_tokens`.execute(trx)).rows;
  await sql`insert into ${SCRATCH}.search_query (search_query) values ('delete-all')`.execute(trx);
  const tokensOf = (i: number) => tokens.filter((token) => Number(token.doc) === i + 1);
  const last = tokensOf(terms.length - 1);
  if (last.length !== 1 || terms.slice(0, -1).some((_, i) => tokensOf(i).length === 0)) return null;
  const start = last[0]!.term;
  if (/^[0-9]*$/.test(start)) return null;
  // Words with a prefix are contiguous in byte order (BINARY), from the prefix on.
  const { rows } = await sql<{ term: string }>`select term from search_terms where term >= ${start} order by term limit ${MAX_PREFIX_WORDS + 1}`.execute(trx);
  const words: string[] = [];
  for (const { term } of rows) {
    if (!term.startsWith(start)) break;
    words.push(term);
  }
  return words.length > MAX_PREFIX_WORDS ? null : words;
}

/*
 * The scratch tables are made if this connection lacks them, every time, not once: made
 * inside a transaction that then rolls back (a full disk), they are gone again.
 */

/** A batch's text, and the words it made. */
async function prepareWordsTable(db: Kysely<Database>): Promise<void> {
  await sql`create virtual table if not exists ${SCRATCH}.search_words using fts5(text, content = '', columnsize = 0, detail = none, tokenize = ${TOKENIZER})`.execute(db);
  await sql`create virtual table if not exists ${SCRATCH}.search_words_terms using fts5vocab(search_words, row)`.execute(db);
}

/** A search's terms, one row each, and every token each made ('instance' needs detail=full). */
async function prepareQueryTable(db: Kysely<Database>): Promise<void> {
  await sql`create virtual table if not exists ${SCRATCH}.search_query using fts5(text, content = '', columnsize = 0, tokenize = ${TOKENIZER})`.execute(db);
  await sql`create virtual table if not exists ${SCRATCH}.search_query_tokens using fts5vocab(search_query, instance)`.execute(db);
}
