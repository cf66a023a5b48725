import { sql, type CreateTableBuilder, type Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/** An auto-numbered primary key: `serial` in PostgreSQL, `integer … autoincrement` in SQLite. */
function withId(table: CreateTableBuilder<string, never>, dialect: Dialect, big = false): CreateTableBuilder<string, "id"> {
  return dialect === "postgres"
    ? table.addColumn("id", big ? "bigserial" : "serial", (c) => c.primaryKey())
    : table.addColumn("id", "integer", (c) => c.primaryKey().autoIncrement());
}

/**
 * The first schema. Written with Kysely's schema builder so one migration serves
 * SQLite and PostgreSQL; `autoIncrement`/`serial` differ, hence the dialect switch.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await withId(db.schema.createTable("accounts"), dialect)
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("name_folded", "text", (c) => c.notNull().unique())
    .addColumn("email", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("verified_at", "bigint")
    .addColumn("last_seen_at", "bigint")
    .execute();

  await withId(db.schema.createTable("credentials"), dialect)
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("credentials_account").on("credentials").columns(["account_id", "kind"]).execute();
  await db.schema.createIndex("credentials_certfp").on("credentials").columns(["kind", "value"]).unique().where(sql.ref("kind"), "=", "certfp").execute();

  await withId(db.schema.createTable("refresh_tokens"), dialect)
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    .addColumn("family", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("rotated_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .execute();
  await db.schema.createIndex("refresh_tokens_family").on("refresh_tokens").column("family").execute();
  await db.schema.createIndex("refresh_tokens_account").on("refresh_tokens").column("account_id").execute();

  await withId(db.schema.createTable("channels"), dialect)
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("name_folded", "text", (c) => c.notNull().unique())
    .addColumn("founder_account_id", "integer", (c) => c.references("accounts.id").onDelete("set null"))
    .addColumn("topic", "text")
    .addColumn("topic_set_by", "text")
    .addColumn("topic_set_at", "bigint")
    .addColumn("modes", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("channel_key", "text")
    .addColumn("user_limit", "integer")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable("messages"), dialect, true)
    .addColumn("msgid", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("target_display", "text", (c) => c.notNull())
    .addColumn("sender_nick", "text", (c) => c.notNull())
    .addColumn("sender_mask", "text", (c) => c.notNull())
    .addColumn("sender_account", "text")
    .addColumn("recipient_account", "text")
    .addColumn("time", "bigint", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("tags", "text")
    .execute();
  // History pages walk one target by time (id breaks ties); retention and offline delivery walk by time.
  await db.schema.createIndex("messages_target_time").on("messages").columns(["target", "time", "id"]).execute();
  // Direct messages only since 0011-direct-recipient-index.
  await db.schema.createIndex("messages_recipient_time").on("messages").columns(["recipient_account", "time"]).execute();
  await db.schema.createIndex("messages_time").on("messages").column("time").execute();

  await db.schema
    .createTable("login_failures")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("last_failure_at", "bigint", (c) => c.notNull())
    .addColumn("locked_until", "bigint")
    .execute();
}
