import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { Dialect } from "./dialect.js";
import type { AddOutcome, PushSubscription, PushSubscriptionStore } from "../core/push/ports.js";

/**
 * Web Push subscriptions (table `push_subscriptions`, one row per account and endpoint).
 * Adding runs in a transaction that holds the account's row (PostgreSQL: FOR UPDATE;
 * SQLite: BEGIN IMMEDIATE serialises writers), so two devices registering at once cannot take
 * an account past its maximum, and a registration from a session of an older password than the
 * account's is refused against the credentials_version a concurrent password change commits: it
 * is read under that lock, so an add either sees the new version or commits before the change
 * does (and is then deleted with the account's other subscriptions).
 */
export class PushSubscriptionsRepository implements PushSubscriptionStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  add(subscription: PushSubscription, now: number, max: number, loggedInUnder: number): Promise<AddOutcome> {
    const { account, endpoint, keys } = subscription;
    return this.db.transaction().execute(async (trx) => {
      const ownerQuery = trx.selectFrom("accounts").select(["id", "credentials_version"]).where("name_folded", "=", account);
      const owner = await (this.dialect === "postgres" ? ownerQuery.forUpdate() : ownerQuery).executeTakeFirst();
      if (!owner) return "no-such-account";
      if (loggedInUnder < Number(owner.credentials_version)) return "stale-credentials";
      const replaced = await trx
        .updateTable("push_subscriptions")
        .set({ p256dh: keys.p256dh, auth: keys.auth })
        .where("account_id", "=", owner.id)
        .where("endpoint", "=", endpoint)
        .executeTakeFirst();
      if (Number(replaced.numUpdatedRows) > 0) return "replaced";
      const held = await trx.selectFrom("push_subscriptions").select((eb) => eb.fn.countAll<number | string | bigint>().as("count")).where("account_id", "=", owner.id).executeTakeFirstOrThrow();
      if (Number(held.count) >= max) return "too-many";
      await trx.insertInto("push_subscriptions").values({ account_id: owner.id, endpoint, p256dh: keys.p256dh, auth: keys.auth, created_at: now, last_used_at: null }).execute();
      return "added";
    });
  }

  async remove(account: string, endpoint: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("push_subscriptions")
      .where("account_id", "in", (eb) => eb.selectFrom("accounts").select("id").where("name_folded", "=", account))
      .where("endpoint", "=", endpoint)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteForAccount(account: string): Promise<number> {
    const result = await this.db
      .deleteFrom("push_subscriptions")
      .where("account_id", "in", (eb) => eb.selectFrom("accounts").select("id").where("name_folded", "=", account))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async ofAccount(account: string): Promise<PushSubscription[]> {
    const rows = await this.db
      .selectFrom("push_subscriptions")
      .innerJoin("accounts", "accounts.id", "push_subscriptions.account_id")
      .select(["push_subscriptions.endpoint", "push_subscriptions.p256dh", "push_subscriptions.auth"])
      .where("accounts.name_folded", "=", account)
      .orderBy("push_subscriptions.created_at")
      .execute();
    return rows.map((row) => ({ account, endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } }));
  }

  async markUsed(account: string, endpoint: string, now: number): Promise<void> {
    await this.db
      .updateTable("push_subscriptions")
      .set({ last_used_at: now })
      .where("account_id", "in", (eb) => eb.selectFrom("accounts").select("id").where("name_folded", "=", account))
      .where("endpoint", "=", endpoint)
      .execute();
  }
}
