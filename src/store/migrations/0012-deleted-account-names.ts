import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/** Rows per INSERT of the names found at migration. */
const INSERT_BATCH = 500;

/**
 * The names of deleted accounts, which are never registered again. Files
 * (`<data dir>/files/<name>/`), direct-message history, share audiences and channel
 * founders are all kept under the account's name: a new account of the same name would
 * inherit them (as Ergo reserves an unregistered account's name, for the same reason).
 *
 * Accounts deleted before this migration left no record but what is still kept under
 * their names: the names with file usage or direct messages and no account are retired
 * now. (Direct conversations are found through the history index's range of `@` keys,
 * not a scan of every message.)
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("deleted_account_names")
    .addColumn("name_folded", "text", (c) => c.primaryKey())
    .addColumn("deleted_at", "bigint", (c) => c.notNull())
    .execute();

  const kept = new Set<string>();
  for (const row of (await sql<{ account: string }>`select distinct account from file_usage`.execute(db)).rows) kept.add(row.account);
  // Direct conversations are "@<party> <party>", a guest's party "~<nick>".
  const conversations = await sql<{ target: string }>`select distinct target from messages where target >= '@' and target < 'A'`.execute(db);
  for (const { target } of conversations.rows) for (const party of target.slice(1).split(" ")) if (party !== "" && !party.startsWith("~")) kept.add(party);
  for (const row of (await sql<{ name_folded: string }>`select name_folded from accounts`.execute(db)).rows) kept.delete(row.name_folded);

  const now = Date.now();
  const names = [...kept];
  for (let start = 0; start < names.length; start += INSERT_BATCH) {
    const values = names.slice(start, start + INSERT_BATCH).map((name) => sql`(${name}, ${now})`);
    await sql`insert into deleted_account_names (name_folded, deleted_at) values ${sql.join(values)}`.execute(db);
  }
}
