import { sql, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * An always-on user's own away message and its user modes come back after a restart, as its
 * nick and channels do (its status in each channel is kept in `channels`, whose entries become
 * `{ name, op, voice }`; a bare name, written before, reads as no status). `modes` holds the
 * IRC letters of the modes kept (`B`, `i`, `w`): a row written before has none, as a new user.
 *
 * SQLite's migrations are not one transaction and adds one column per statement: a start
 * stopped between the two finds the first column there when it runs this again. PostgreSQL's
 * are, but the columns are looked for there too, so this may run again over its own result
 * (a database whose record of applied migrations was cut back, as a test of 0018 does).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const existing =
    dialect === "sqlite"
      ? new Set((await sql<{ name: string }>`select name from pragma_table_info('always_on_users')`.execute(db)).rows.map((row) => row.name))
      : new Set(
          (
            await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = 'always_on_users'`.execute(db)
          ).rows.map((row) => row.name),
        );
  if (!existing.has("away")) await db.schema.alterTable("always_on_users").addColumn("away", "text").execute();
  if (!existing.has("modes")) {
    await db.schema
      .alterTable("always_on_users")
      .addColumn("modes", "text", (c) => c.notNull().defaultTo(""))
      .execute();
  }
}
