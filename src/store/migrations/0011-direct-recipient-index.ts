import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * `messages_recipient_time` holds direct messages only. Every query that reads it asks for
 * one account's direct messages (`recipient_account = ?`: offline delivery, conversation
 * lists, search), yet each channel message, which has no recipient account, was entered
 * under NULL: an index entry per channel message that nothing reads (~17 bytes each in
 * SQLite's file), one more B-tree insert per stored message and one more page in each commit.
 * `bench/history-store.ts` (batches of 24 over 200 channels, 7 alternating rounds on ext4):
 * 5,651 against 6,100 bytes written per stored channel message (the WAL and the checkpoint's
 * copies); CPU per message within the noise (15.3 against 15.0 µs, each run 12–18).
 *
 * Rebuilding the index reads every stored message once (seconds at 10 million), at the
 * start that migrates. Each step may run again: SQLite's migrations are not one
 * transaction, and a start stopped between the two finishes on the next.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await sql`drop index if exists messages_recipient_time`.execute(db);
  await sql`create index if not exists messages_recipient_time on messages (recipient_account, time) where recipient_account is not null`.execute(db);
}
