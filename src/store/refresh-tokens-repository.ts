import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.js";
import type { RefreshClaim, RefreshTokenRecord, RefreshTokenStore } from "../core/accounts/ports.js";
import type { RefreshReissueStore } from "../core/accounts/refresh-sessions.js";

/**
 * Reissues of one token a transaction tries when concurrent reissues of it keep
 * retiring the successor it read first; each lost try means another one succeeded.
 */
const REISSUE_ATTEMPTS = 3;

/** Stores `successor` as the live token of `owner`'s family. */
async function insertSuccessor(
  trx: Transaction<Database>,
  owner: { account_id: number; family: string },
  successor: { tokenHash: string; expiresAt: number },
  now: number,
): Promise<void> {
  await trx
    .insertInto("refresh_tokens")
    .values({
      account_id: owner.account_id,
      family: owner.family,
      token_hash: successor.tokenHash,
      created_at: now,
      expires_at: successor.expiresAt,
      rotated_at: null,
      successor_hash: null,
      revoked_at: null,
    })
    .execute();
}

/** Refresh tokens, stored as SHA-256 hashes. Every statement is built by Kysely with bound parameters. */
export class RefreshTokensRepository implements RefreshTokenStore, RefreshReissueStore {
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
        successor_hash: null,
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
        .set({ rotated_at: now, successor_hash: successor.tokenHash })
        .where("token_hash", "=", tokenHash)
        .where("rotated_at", "is", null)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .returning(["account_id", "family"])
        .executeTakeFirst();
      if (claimed) {
        await insertSuccessor(trx, claimed, successor, now);
        return { status: "rotated", accountId: claimed.account_id, family: claimed.family };
      }
      const row = await trx.selectFrom("refresh_tokens").select(["account_id", "family", "rotated_at"]).where("token_hash", "=", tokenHash).executeTakeFirst();
      if (row && row.rotated_at !== null) return { status: "reused", accountId: row.account_id, family: row.family };
      return { status: "dead" };
    });
  }

  async reissue(tokenHash: string, successor: { tokenHash: string; expiresAt: number }, now: number, rotatedAfter: number): Promise<{ accountId: number; family: string } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      let retried: string | null = null;
      for (let attempt = 0; attempt < REISSUE_ATTEMPTS; attempt++) {
        const replaced = await trx
          .selectFrom("refresh_tokens")
          .select(["account_id", "family", "successor_hash"])
          .where("token_hash", "=", tokenHash)
          .where("rotated_at", ">", rotatedAfter)
          .where("revoked_at", "is", null)
          .executeTakeFirst();
        // The same successor again: its holder exchanged it, not a reissue racing this one.
        if (!replaced?.successor_hash || replaced.successor_hash === retried) return undefined;
        // Retiring the successor is the claim: of two reissues (or a reissue and the
        // successor's own refresh) exactly one gets its row, the other sees it rotated.
        const retired = await trx
          .updateTable("refresh_tokens")
          .set({ rotated_at: now })
          .where("token_hash", "=", replaced.successor_hash)
          .where("family", "=", replaced.family)
          .where("rotated_at", "is", null)
          .where("revoked_at", "is", null)
          .executeTakeFirst();
        if (Number(retired.numUpdatedRows) === 0) {
          retried = replaced.successor_hash;
          continue;
        }
        await insertSuccessor(trx, replaced, successor, now);
        await trx
          .updateTable("refresh_tokens")
          .set({ successor_hash: successor.tokenHash })
          .where("token_hash", "=", tokenHash)
          .where("successor_hash", "=", replaced.successor_hash)
          .execute();
        return { accountId: replaced.account_id, family: replaced.family };
      }
      return undefined;
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
