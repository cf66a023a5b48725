import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Accounts created from each address (IPv4, or IPv6 /64) in the last hour, so that
 * `accounts.registrationsPerAddressPerHour` holds across every node sharing the
 * database. A row is written before the account is made and removed again if the
 * registration fails; rows older than the hour are deleted as new ones arrive.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("registration_attempts")
    /** Random, made by the node that writes it (so it can take back its own row). */
    .addColumn("id", "text", (c) => c.primaryKey())
    /** The address key: an IPv4 address, or an IPv6 /64 such as `2001:db8:0:1::/64`. */
    .addColumn("address", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("registration_attempts_address").on("registration_attempts").columns(["address", "created_at"]).execute();
  await db.schema.createIndex("registration_attempts_created_at").on("registration_attempts").column("created_at").execute();
}
