import type { Kysely } from "kysely";

/**
 * Secrets the server makes once and keeps, so they are the same across restarts and
 * on every node sharing the database (the SCRAM stand-in salt secret, for a start).
 * `value` is text (base64) so both dialects store it alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("server_secrets")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();
}
