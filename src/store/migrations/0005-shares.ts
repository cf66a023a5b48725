import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * File shares: a link to one file of its owner's space (`/f/<id>/<name>`), and its
 * audience — the conversations (a folded channel name, or a direct-conversation key
 * "@a b") whose readers may open it, added when the owner posts the link there.
 * The id is the secret part of the link (128 random bits, base64url).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("shares")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("owner_account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    /** The file's path in the owner's space ("/dir/name.png"), read again at every access. */
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("shares_owner").on("shares").column("owner_account_id").execute();

  await db.schema
    .createTable("share_audience")
    .addColumn("share_id", "text", (c) => c.notNull().references("shares.id").onDelete("cascade"))
    .addColumn("conversation", "text", (c) => c.notNull())
    .addColumn("added_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("share_audience_pk", ["share_id", "conversation"])
    .execute();
}
