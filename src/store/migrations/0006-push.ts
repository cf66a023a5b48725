import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Web Push subscriptions (IRCv3 draft/webpush): per account, the push services'
 * endpoints and the keys the payload is encrypted for. An endpoint is registered once
 * per account (registering it again replaces its keys). The VAPID key pair is not
 * here: it is a server secret (table server_secrets), shared by every node.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("push_subscriptions")
    .addColumn("account_id", "integer", (c) => c.notNull().references("accounts.id").onDelete("cascade"))
    /** The push service's URL for one device; it is a capability, never logged. */
    .addColumn("endpoint", "text", (c) => c.notNull())
    /** The device's P-256 ECDH public key and its 16-byte auth secret, base64url (RFC 8291). */
    .addColumn("p256dh", "text", (c) => c.notNull())
    .addColumn("auth", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    /** When a push service last accepted a notification for it; null until then. */
    .addColumn("last_used_at", "bigint")
    .addPrimaryKeyConstraint("push_subscriptions_pk", ["account_id", "endpoint"])
    .execute();
}
