import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { RefreshClaim, RefreshTokenRecord, RefreshTokenStore } from "../core/accounts/ports.js";

/** Refresh tokens, stored as SHA-256 hashes. Every statement is built by Kysely with bound parameters. */
export class RefreshTokensRepository implements RefreshTokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(record: RefreshTokenRecord): Promise<void> {
    await this.db
      .insertInto("refresh_tokens")
      .values({
        account_id: record.accountId,
        family: record.family,
        token_hash: record.tokenHash,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        rotated_at: null,
        revoked_at: null,
      })
      .execute();
  }

  async rotate(tokenHash: string, successor: { tokenHash: string; expiresAt: number }, now: number): Promise<RefreshClaim> {
    return this.db.transaction().execute(async (trx) => {
      // One conditional UPDATE decides the race: PostgreSQL re-checks the WHERE of a
      // concurrent update after the row lock, SQLite runs one writer at a time.
      const claimed = await trx
        .updateTable("refresh_tokens")
        .set({ rotated_at: now })
        .where("token_hash", "=", tokenHash)
        .where("rotated_at", "is", null)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .returning(["account_id", "family"])
        .executeTakeFirst();
      if (claimed) {
        await trx
          .insertInto("refresh_tokens")
          .values({
            account_id: claimed.account_id,
            family: claimed.family,
            token_hash: successor.tokenHash,
            created_at: now,
            expires_at: successor.expiresAt,
            rotated_at: null,
            revoked_at: null,
          })
          .execute();
        return { status: "rotated", accountId: claimed.account_id, family: claimed.family };
      }
      const row = await trx.selectFrom("refresh_tokens").select(["account_id", "family", "rotated_at"]).where("token_hash", "=", tokenHash).executeTakeFirst();
      if (row && row.rotated_at !== null) return { status: "reused", accountId: row.account_id, family: row.family };
      return { status: "dead" };
    });
  }

  async familyOf(tokenHash: string): Promise<{ accountId: number; family: string } | undefined> {
    const row = await this.db.selectFrom("refresh_tokens").select(["account_id", "family"]).where("token_hash", "=", tokenHash).executeTakeFirst();
    return row && { accountId: row.account_id, family: row.family };
  }

  async revokeFamily(family: string, now: number): Promise<number> {
    const result = await this.db.updateTable("refresh_tokens").set({ revoked_at: now }).where("family", "=", family).where("revoked_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async revokeAccount(accountId: number, now: number): Promise<number> {
    const result = await this.db.updateTable("refresh_tokens").set({ revoked_at: now }).where("account_id", "=", accountId).where("revoked_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async deleteExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom("refresh_tokens").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
