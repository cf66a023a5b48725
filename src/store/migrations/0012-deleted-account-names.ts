import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * The names of deleted accounts, which are never registered again. Files
 * (`<data dir>/files/<name>/`), direct-message history, share audiences and channel
 * founders are all kept under the account's name: a new account of the same name would
 * inherit them (as Ergo reserves an unregistered account's name, for the same reason).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("deleted_account_names")
    .addColumn("name_folded", "text", (c) => c.primaryKey())
    .addColumn("deleted_at", "bigint", (c) => c.notNull())
    .execute();
}
