import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * SQLite: the index history pages are read by, (target, time, id), is no longer kept by
 * the messages table itself but in `message_targets`, filled behind the writes in sorted
 * batches (SqliteTargetIndex, src/store/message-targets.ts), up to
 * `message_targets_state.indexed_upto`. A busy server's commit holds messages to many
 * conversations, each landing on a leaf page of its own in `messages_target_time`: each
 * commit wrote about one 4 KiB page per message, half of what storing one cost
 * (bench/history-store.ts: 12.4 µs and 5,690 bytes written per message, 8.0 µs and 2,074
 * with the index filled behind). Every read of the index first adds what is pending, so
 * it finds every stored message.
 *
 * A deleted message leaves the table by trigger. Filling the table reads every stored message once and sorts them (a few seconds
 * per million). SQLite's migrations are not one transaction, so each step may run again
 * after a start stopped between them: every one of them is safe to repeat.
 *
 * PostgreSQL keeps `messages_target_time`: several nodes write there at once, ids are not
 * handed out in commit order, and its index pages are not written whole at each commit.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect !== "sqlite") return;
  await sql`create table if not exists message_targets (
    target text not null, time integer not null, id integer not null,
    primary key (target, time, id)) without rowid`.execute(db);
  await sql`create table if not exists message_targets_state (id integer primary key check (id = 1), indexed_upto integer not null)`.execute(db);
  await sql`insert or ignore into message_targets_state (id, indexed_upto) values (1, 0)`.execute(db);
  // Unconditional (one key look-up): a row added before its mark moved (a start stopped between
  // the two steps below, then an older build deleting) must still leave with its message.
  await sql`create trigger if not exists message_targets_delete after delete on messages begin
    delete from message_targets where target = old.target and time = old.time and id = old.id;
  end`.execute(db);
  // Run again after a stop between these two, the insert adds nothing twice.
  await sql`insert or ignore into message_targets (target, time, id)
    select target, time, id from messages where id > (select indexed_upto from message_targets_state where id = 1) order by target, time, id`.execute(db);
  await sql`update message_targets_state set indexed_upto = max(indexed_upto, coalesce((select max(id) from messages), 0)) where id = 1`.execute(db);
  await sql`drop index if exists messages_target_time`.execute(db);
}
