import type { Kysely, Selectable } from "kysely";
import type { AccountsTable, Database } from "./schema.js";
import type { Account as AccountRecord, AccountSetting, AccountStore, Credential as CredentialRecord } from "../core/accounts/ports.js";

function toRecord(row: Selectable<AccountsTable>): AccountRecord {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    createdAt: row.created_at,
    verifiedAt: row.verified_at,
    lastSeenAt: row.last_seen_at,
    multiclient: flag(row.multiclient),
    alwaysOn: flag(row.always_on),
    credentialsVersion: Number(row.credentials_version),
  };
}

function flag(value: number | null): boolean | null {
  return value === null ? null : Number(value) !== 0;
}

const accountColumns = ["id", "name", "name_folded", "email", "created_at", "verified_at", "last_seen_at", "multiclient", "always_on", "credentials_version"] as const;

const settingColumns = { multiclient: "multiclient", alwaysOn: "always_on" } as const;

/** Names per touchMany statement: well under either database's limit of bound parameters. */
const TOUCH_CHUNK = 500;

/** Rolls back a registration that found its name retired after its insert. */
class NameRetired extends Error {}

/** Accounts and their credentials. Every statement is built by Kysely with bound parameters. */
export class AccountsRepository implements AccountStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(name: string, folded: string, email: string | null, credentials: readonly CredentialRecord[], now: number): Promise<AccountRecord | "name-taken" | "name-retired"> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const retired = await trx.selectFrom("deleted_account_names").select("name_folded").where("name_folded", "=", folded).executeTakeFirst();
        if (retired) return "name-retired";
        const row = await trx
          .insertInto("accounts")
          .values({ name, name_folded: folded, email, created_at: now, verified_at: now, last_seen_at: null, multiclient: null, always_on: null })
          .returning(accountColumns)
          .executeTakeFirstOrThrow();
        for (const credential of credentials) {
          await trx.insertInto("credentials").values({ account_id: row.id, kind: credential.kind, value: credential.value, created_at: now }).execute();
        }
        // Asked again after the insert: a delete of this name that committed meanwhile (PostgreSQL's
        // insert waited for it on the unique index) retired the name; undo the registration.
        if (await trx.selectFrom("deleted_account_names").select("name_folded").where("name_folded", "=", folded).executeTakeFirst()) throw new NameRetired();
        return toRecord(row);
      });
    } catch (error) {
      if (error instanceof NameRetired) return "name-retired";
      if (isUniqueViolation(error)) return "name-taken";
      throw error;
    }
  }

  async findByName(folded: string): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom("accounts").select(accountColumns).where("name_folded", "=", folded).executeTakeFirst();
    return row && toRecord(row);
  }

  async findById(id: number): Promise<AccountRecord | undefined> {
    const row = await this.db.selectFrom("accounts").select(accountColumns).where("id", "=", id).executeTakeFirst();
    return row && toRecord(row);
  }

  async credentialsVersions(folded: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    // In slices, so a server with many accounts online stays within every dialect's parameter limit.
    for (let i = 0; i < folded.length; i += 500) {
      const rows = await this.db
        .selectFrom("accounts")
        .select(["name_folded", "credentials_version"])
        .where("name_folded", "in", folded.slice(i, i + 500))
        .execute();
      for (const row of rows) found.set(row.name_folded, Number(row.credentials_version));
    }
    return found;
  }

  async list(): Promise<AccountRecord[]> {
    const rows = await this.db.selectFrom("accounts").select(accountColumns).orderBy("name_folded").execute();
    return rows.map(toRecord);
  }

  async credential(accountId: number, kind: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("credentials").select("value").where("account_id", "=", accountId).where("kind", "=", kind).executeTakeFirst();
    return row?.value;
  }

  /** Replaces every credential of the given kinds (a password change replaces hash and SCRAM verifier together). */
  async replaceCredentials(accountId: number, credentials: readonly CredentialRecord[], now: number, unlessChanged?: CredentialRecord): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (unlessChanged) {
        // Taken out first, and only if it is still the one the caller read: a password changed
        // meanwhile has replaced it, and nothing happens. On PostgreSQL the delete holds the
        // row against a change that comes later, until this transaction ends.
        const taken = await trx
          .deleteFrom("credentials")
          .where("account_id", "=", accountId)
          .where("kind", "=", unlessChanged.kind)
          .where("value", "=", unlessChanged.value)
          .executeTakeFirst();
        if (Number(taken.numDeletedRows) === 0) return;
      }
      await replaceKinds(trx, accountId, credentials, now);
    });
  }

  /**
   * In one transaction with the credentials, so a login that read the account (its count)
   * before the change also read the old hash: the session it starts is known to be stale.
   */
  async changePassword(accountId: number, credentials: readonly CredentialRecord[], now: number): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      await replaceKinds(trx, accountId, credentials, now);
      const row = await trx
        .updateTable("accounts")
        .set((eb) => ({ credentials_version: eb("credentials_version", "+", 1) }))
        .where("id", "=", accountId)
        .returning("credentials_version")
        .executeTakeFirstOrThrow();
      return Number(row.credentials_version);
    });
  }

  async touch(accountId: number, now: number): Promise<void> {
    await this.db
      .updateTable("accounts")
      .set({ last_seen_at: now })
      .where("id", "=", accountId)
      .where((eb) => eb.or([eb("last_seen_at", "is", null), eb("last_seen_at", "<", now)]))
      .execute();
  }

  async touchMany(folded: readonly string[], now: number): Promise<void> {
    for (let start = 0; start < folded.length; start += TOUCH_CHUNK) {
      await this.db
        .updateTable("accounts")
        .set({ last_seen_at: now })
        .where("name_folded", "in", folded.slice(start, start + TOUCH_CHUNK))
        .where((eb) => eb.or([eb("last_seen_at", "is", null), eb("last_seen_at", "<", now)]))
        .execute();
    }
  }

  async setSetting(accountId: number, setting: AccountSetting, value: boolean | null): Promise<void> {
    await this.db
      .updateTable("accounts")
      .set({ [settingColumns[setting]]: value === null ? null : value ? 1 : 0 })
      .where("id", "=", accountId)
      .execute();
  }

  /** Deletes the account (its credentials and refresh tokens go with it: ON DELETE CASCADE) and retires its name, in one transaction. */
  async delete(folded: string, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom("accounts").where("name_folded", "=", folded).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx
        .insertInto("deleted_account_names")
        .values({ name_folded: folded, deleted_at: now })
        .onConflict((conflict) => conflict.column("name_folded").doNothing())
        .execute();
      return true;
    });
  }

  async isRetired(folded: string): Promise<boolean> {
    return (await this.db.selectFrom("deleted_account_names").select("name_folded").where("name_folded", "=", folded).executeTakeFirst()) !== undefined;
  }
}

/** Replaces every credential of the account of the kinds in `credentials` with these. */
async function replaceKinds(trx: Kysely<Database>, accountId: number, credentials: readonly CredentialRecord[], now: number): Promise<void> {
  const kinds = credentials.map((c) => c.kind);
  if (kinds.length > 0) await trx.deleteFrom("credentials").where("account_id", "=", accountId).where("kind", "in", kinds).execute();
  for (const credential of credentials) {
    await trx.insertInto("credentials").values({ account_id: accountId, kind: credential.kind, value: credential.value, created_at: now }).execute();
  }
}

/** SQLite and PostgreSQL report a broken UNIQUE constraint differently. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === "23505" || e.code === "SQLITE_CONSTRAINT_UNIQUE" || /UNIQUE constraint failed/.test(e.message ?? "");
}
