import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * SQLite: `search_terms`, every word (term) of the full-text index but those of digits
 * only, so a search can turn its last word's prefix into the words it stands for
 * (src/store/search-vocabulary.ts).
 * FTS5 answers a prefix query (`"one"*`) by merging the entries of every word with
 * that prefix in full before it returns the first row (16–41 ms for `one*` at 10 million
 * messages); the same words as an OR of exact words are read newest first and stop at the
 * page (~0.2 ms). Filled here from the index's own vocabulary (`fts5vocab`), then by
 * SearchIndexer with each batch it indexes. A word whose messages are all deleted stays:
 * it matches nothing. An indexed message whose text changes is put in
 * `search_terms_pending` by the update trigger (triggers cannot reach the tokenizer, a
 * temp table), and the indexer adds its words on its next pass, which a search runs first.
 *
 * PostgreSQL: nothing (its GIN index answers prefixes itself).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== "sqlite") return;
  // Each step may run again: SQLite's migrations are not one transaction, and a start
  // stopped halfway (a full disk, a kill) must be able to finish on the next.
  await sql`create table if not exists search_terms (term text primary key) without rowid`.execute(db);
  await sql`create virtual table if not exists temp.messages_fts_terms using fts5vocab(main, messages_fts, row)`.execute(db);
  // Words of digits only are left out (see search-vocabulary.ts).
  await sql`insert or ignore into search_terms (term) select term from temp.messages_fts_terms where term glob '*[^0-9]*'`.execute(db);
  await sql`drop table temp.messages_fts_terms`.execute(db);
  await sql`create table if not exists search_terms_pending (id integer primary key)`.execute(db);
  await sql`drop trigger if exists messages_fts_update`.execute(db);
  await sql`create trigger messages_fts_update after update of text on messages
    when old.id <= (select indexed_upto from search_index_state where id = 1) begin
    insert into messages_fts (messages_fts, rowid, text) values ('delete', old.id, old.text);
    insert into messages_fts (rowid, text) values (new.id, new.text);
    insert or ignore into search_terms_pending (id) values (new.id);
  end`.execute(db);
}
