import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * SQLite: the full-text index (0004-search) is no longer written by a trigger in
 * every message's own transaction. FTS5 writes a new index segment at every commit
 * and merges segments as they pile up, so indexing a handful of rows per commit —
 * what a busy server's per-turn history batches are — cost more than storing the
 * rows themselves. Messages are now indexed in large batches by SearchIndexer
 * (src/store/search-indexer.ts), up to `search_index_state.indexed_upto`; a search
 * indexes what is still pending first, so it still finds every stored message.
 *
 * The delete and update triggers stay, limited to rows already indexed: telling
 * FTS5 to delete a row it never indexed would corrupt an external-content index.
 * Rows above the mark are indexed later with whatever text they then hold.
 *
 * PostgreSQL's GIN index (with its own pending list) is unchanged.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== "sqlite") return;
  await sql`create table search_index_state (id integer primary key check (id = 1), indexed_upto integer not null)`.execute(db);
  // Every existing row was indexed by the insert trigger.
  await sql`insert into search_index_state (id, indexed_upto) values (1, coalesce((select max(id) from messages), 0))`.execute(db);
  await sql`drop trigger messages_fts_insert`.execute(db);
  await sql`drop trigger messages_fts_delete`.execute(db);
  await sql`drop trigger messages_fts_update`.execute(db);
  await sql`create trigger messages_fts_delete after delete on messages
    when old.id <= (select indexed_upto from search_index_state where id = 1) begin
    insert into messages_fts (messages_fts, rowid, text) values ('delete', old.id, old.text);
  end`.execute(db);
  await sql`create trigger messages_fts_update after update of text on messages
    when old.id <= (select indexed_upto from search_index_state where id = 1) begin
    insert into messages_fts (messages_fts, rowid, text) values ('delete', old.id, old.text);
    insert into messages_fts (rowid, text) values (new.id, new.text);
  end`.execute(db);
}
