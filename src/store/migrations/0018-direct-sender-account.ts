import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * A direct message's `sender_account` is the account as registered (`Dora`), as a channel
 * message's always was and as live messages carry it; earlier versions stored it folded
 * (`dora`), so history gave the account two spellings. The rows they stored get the
 * registered spelling back here, from `accounts`, once, rather than through a join on
 * every read of history and search. Only accounts whose name has capitals have rows to
 * change: with none (names written in lower case), nothing is read. A deleted account's
 * rows stay folded (its spelling went with it; its name is never registered again).
 *
 * The direct messages are found through the conversation keys (`@…`), not a scan for
 * each account: on SQLite through the index of conversations (0017) and the rows it has
 * not taken in yet (ids above its mark). SQLite's migrations are not one transaction: run
 * again, a row already changed no longer holds a folded name and is left alone.
 * PostgreSQL's collation may order `@` keys apart (under a locale they do not sort as a
 * range), so its one statement reads each message once with `like '@%'`, within the
 * migration's transaction; it writes only the rows it changes.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from accounts where name <> name_folded`.execute(db);
  if (Number(rows[0]?.n ?? 0) === 0) return;
  if (dialect === "sqlite") {
    const respelled = sql`update messages set sender_account = (select a.name from accounts as a where a.name_folded = messages.sender_account)`;
    const folded = sql`sender_account in (select name_folded from accounts where name <> name_folded)`;
    await sql`${respelled} where id in (select id from message_targets where target >= '@' and target < 'A') and ${folded}`.execute(db);
    await sql`${respelled} where id > (select indexed_upto from message_targets_state where id = 1) and target >= '@' and target < 'A' and ${folded}`.execute(db);
    return;
  }
  await sql`update messages as m set sender_account = a.name from accounts as a
    where a.name_folded = m.sender_account and a.name <> a.name_folded and m.target like '@%'`.execute(db);
}
