import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Full-text search over message history (GET /api/v1/search).
 *
 * SQLite: an FTS5 table over `messages.text` with external content (the text is not
 * stored twice, only the index), kept in step by triggers on every INSERT, DELETE
 * and UPDATE of `messages` — so a message deleted by REDACT or retention is gone
 * from the index in the same transaction. The unicode61 tokenizer with
 * remove_diacritics 2 folds case and accents ("Café" finds "cafe"). Existing rows
 * are indexed here ('rebuild' reads them all once).
 *
 * PostgreSQL: a GIN index on the expression `to_tsvector('simple', text)`: the
 * 'simple' configuration lowercases and keeps every word (no stemming or stop
 * words, which would need one language per server). An expression index rather
 * than a stored tsvector column: nothing is added to each row and the table is not
 * rewritten; the price is recomputing the vector of candidate rows on recheck,
 * which is cheap for chat-sized texts. Queries must use the same expression.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === "postgres") {
    await sql`create index messages_text_search on messages using gin (to_tsvector('simple', text))`.execute(db);
    return;
  }
  await sql`create virtual table messages_fts using fts5(text, content = 'messages', content_rowid = 'id', columnsize = 0, tokenize = 'unicode61 remove_diacritics 2')`.execute(db);
  await sql`create trigger messages_fts_insert after insert on messages begin
    insert into messages_fts (rowid, text) values (new.id, new.text);
  end`.execute(db);
  await sql`create trigger messages_fts_delete after delete on messages begin
    insert into messages_fts (messages_fts, rowid, text) values ('delete', old.id, old.text);
  end`.execute(db);
  await sql`create trigger messages_fts_update after update on messages begin
    insert into messages_fts (messages_fts, rowid, text) values ('delete', old.id, old.text);
    insert into messages_fts (rowid, text) values (new.id, new.text);
  end`.execute(db);
  await sql`insert into messages_fts (messages_fts) values ('rebuild')`.execute(db);
}
