import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Files on several nodes: what each account's files hold, and the uploads (and other
 * changes) in progress on any node, so that a quota holds across nodes sharing one
 * `<dataDir>/files` volume. The account is its folded name, the name of its folder
 * (`<dataDir>/files/<account>`), not an id: a space exists on disk for as long as its
 * folder does, whatever happens to the account row.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("file_usage")
    .addColumn("account", "text", (c) => c.primaryKey())
    /** Bytes and regular files in the account's folder, kept in step with every completed change. */
    .addColumn("bytes", "bigint", (c) => c.notNull())
    .addColumn("files", "bigint", (c) => c.notNull())
    /**
     * Bumped by every reservation and every change; a measurement of the folder replaces
     * bytes and files only if the version did not move while it walked the tree.
     */
    .addColumn("version", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable("file_reservations")
    /** Random, made by the node that holds it. */
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account", "text", (c) => c.notNull())
    /** Bytes the upload may add beyond what it replaces; grows while the bytes arrive. */
    .addColumn("bytes", "bigint", (c) => c.notNull())
    /** 1 when the upload makes a new file, else 0. */
    .addColumn("files", "integer", (c) => c.notNull())
    /** The node (cluster.nodeName, or its host name) that holds it, for operators. */
    .addColumn("node", "text", (c) => c.notNull())
    /** Renewed while the upload runs; a node that died leaves one that stops counting at this time. */
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    /**
     * The hidden temporary file the upload writes to, relative to the account's folder; null
     * when it writes in place. Deleted by the node that finds the reservation expired.
     */
    .addColumn("temporary", "text")
    .execute();
  await db.schema.createIndex("file_reservations_account").on("file_reservations").columns(["account", "expires_at"]).execute();
}
