import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * `messages_recipient_time` holds direct messages only. What reads it (offline delivery,
 * `unreadDirect`) asks for one account's direct messages, `recipient_account = ?`, yet each
 * channel message, which has no recipient account, was entered under NULL: an index entry
 * nothing reads (~17 bytes in SQLite's file), one more B-tree insert per stored message and
 * one more page in each commit. `bench/history-store.ts` (batches of 24 over 200 channels,
 * on ext4): 5,690 against 6,015 bytes written per stored channel message (3 rounds; 5,651
 * against 6,100 in 7 others); CPU per message within the noise (12.4 against 13.1 µs, and
 * 15.3 against 15.0 in the 7).
 *
 * Rebuilding reads every stored message once (~0.1 s per million on SQLite, ~0.2 s on
 * PostgreSQL). SQLite's migrations are not one transaction, so each step there may run
 * again (a start stopped between them finishes on the next). PostgreSQL runs them in one
 * transaction, where dropping an index locks its table against reads until the commit: the
 * new index is built first under another name (writes wait meanwhile, reads go on), and
 * the old one dropped and the new one renamed only at the end.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === "sqlite") {
    await sql`drop index if exists messages_recipient_time`.execute(db);
    await sql`create index if not exists messages_recipient_time on messages (recipient_account, time) where recipient_account is not null`.execute(db);
    return;
  }
  await sql`create index messages_recipient_time_direct on messages (recipient_account, time) where recipient_account is not null`.execute(db);
  await sql`drop index messages_recipient_time`.execute(db);
  await sql`alter index messages_recipient_time_direct rename to messages_recipient_time`.execute(db);
}
