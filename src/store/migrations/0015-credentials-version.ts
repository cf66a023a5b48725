import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * A count of the account's password changes, which every session remembers from its login:
 * a session logged in under an older count logged in with a password that is no longer the
 * account's, and ends (AccountSessions), on this node and every other. A count, not the hash
 * or a time: a login's rehash of the same password changes the hash, and clocks differ
 * between nodes. Every account starts at 0.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable("accounts")
    .addColumn("credentials_version", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}
