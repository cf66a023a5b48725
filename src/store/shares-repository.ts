import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { ShareRecord, ShareStore } from "../core/files/shares.js";

/** File shares (table `shares`) and the conversations they were posted to (`share_audience`). */
export class SharesRepository implements ShareStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(share: { readonly id: string; readonly ownerId: number; readonly path: string; readonly createdAt: number }): Promise<void> {
    await this.db.insertInto("shares").values({ id: share.id, owner_account_id: share.ownerId, path: share.path, created_at: share.createdAt }).execute();
  }

  async find(id: string): Promise<ShareRecord | undefined> {
    const row = await this.db
      .selectFrom("shares")
      .innerJoin("accounts", "accounts.id", "shares.owner_account_id")
      .select(["shares.id", "shares.owner_account_id", "accounts.name_folded", "shares.path", "shares.created_at"])
      .where("shares.id", "=", id)
      .executeTakeFirst();
    return row && { id: row.id, ownerId: row.owner_account_id, owner: row.name_folded, path: row.path, createdAt: Number(row.created_at) };
  }

  async audience(id: string): Promise<string[]> {
    const rows = await this.db.selectFrom("share_audience").select("conversation").where("share_id", "=", id).orderBy("added_at").execute();
    return rows.map((row) => row.conversation);
  }

  /**
   * INSERT … SELECT from the share joined to its owner: a row is added only when the
   * share exists and `owner` owns it. Posting the link twice adds nothing.
   */
  async grant(id: string, owner: string, conversation: string, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto("share_audience")
      .columns(["share_id", "conversation", "added_at"])
      .expression((eb) =>
        eb
          .selectFrom("shares")
          .innerJoin("accounts", "accounts.id", "shares.owner_account_id")
          // Typed casts: PostgreSQL cannot infer a bare parameter's type in a select list.
          .select((sb) => [sb.ref("shares.id").as("share_id"), sb.cast<string>(sb.val(conversation), "text").as("conversation"), sb.cast<number>(sb.val(now), "bigint").as("added_at")])
          .where("shares.id", "=", id)
          .where("accounts.name_folded", "=", owner),
      )
      .onConflict((conflict) => conflict.columns(["share_id", "conversation"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Deletes the audience row only when `owner` owns the share: someone else's message never takes a grant away. */
  async revoke(id: string, owner: string, conversation: string): Promise<void> {
    await this.db
      .deleteFrom("share_audience")
      .where("share_id", "=", id)
      .where("conversation", "=", conversation)
      .where((eb) => eb.exists(eb.selectFrom("shares").innerJoin("accounts", "accounts.id", "shares.owner_account_id").select("shares.id").where("shares.id", "=", id).where("accounts.name_folded", "=", owner)))
      .execute();
  }
}
