import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Multiclient and always-on: per-account choices (null = the server's default), the
 * always-on users' nick and channels (so they come back after a restart), and read
 * markers (draft/read-marker): the last-read time per account and conversation.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  // 0/1, or null for the server's default; integer rather than boolean so both dialects read a number.
  await db.schema.alterTable("accounts").addColumn("multiclient", "integer").execute();
  await db.schema.alterTable("accounts").addColumn("always_on", "integer").execute();

  await db.schema
    .createTable("always_on_users")
    .addColumn("account_id", "integer", (c) => c.primaryKey().references("accounts.id").onDelete("cascade"))
    .addColumn("nick", "text", (c) => c.notNull())
    /** JSON array of channel names the user is in. */
    .addColumn("channels", "text", (c) => c.notNull())
    .addColumn("realname", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("read_markers")
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    /** The conversation: a folded channel name, or the other party's folded nick or account. */
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("read_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("read_markers_pk", ["account_id", "target"])
    .execute();
}
