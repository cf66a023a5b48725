import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "./schema.js";
import type { Dialect } from "./dialect.js";
import type { ExpiredReservation, FileUsageStore, QuotaLimits, RecordedUsage, RefusalEffect, Reservation, ReserveOutcome } from "../core/files/ports.js";
import type { Usage } from "../core/files/usage.js";

/** Reservation ids renewed by one statement; a node's running uploads are few, this only bounds the statement. */
const RENEW_BATCH = 500;

/**
 * Accounts' file usage (table `file_usage`) and the uploads in progress on every node
 * (table `file_reservations`). A reservation is taken in one atomic step against the
 * quota: on PostgreSQL in a transaction that first updates (and so locks) the account's
 * usage row, so reservers of one account queue there and each one's guarded INSERT sees
 * what the previous one committed (READ COMMITTED takes a new snapshot per statement);
 * on SQLite the guarded INSERT is one statement, and SQLite runs one writer at a time.
 * SQLite gets no multi-statement transaction here: where two statements are needed they
 * are ordered so that the moment between them counts an upload twice, never not at all.
 */
export class FileUsageRepository implements FileUsageStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async read(account: string, now: number): Promise<RecordedUsage | null> {
    const usage = await this.db.selectFrom("file_usage").select(["bytes", "files", "version"]).where("account", "=", account).executeTakeFirst();
    if (!usage) return null;
    const held = await this.db
      .selectFrom("file_reservations")
      .select((eb) => [
        eb.fn.countAll<number | string>().as("reservations"),
        eb.fn.coalesce(eb.fn.sum<number | string>("bytes"), sql<number>`0`).as("bytes"),
        eb.fn.coalesce(eb.fn.sum<number | string>("files"), sql<number>`0`).as("files"),
      ])
      .where("account", "=", account)
      .where("expires_at", ">", now)
      .executeTakeFirstOrThrow();
    return {
      bytes: Number(usage.bytes),
      files: Number(usage.files),
      version: Number(usage.version),
      reservations: Number(held.reservations),
      reservedBytes: Number(held.bytes),
      reservedFiles: Number(held.files),
    };
  }

  async initialise(account: string, measured: Usage): Promise<void> {
    await this.db
      .insertInto("file_usage")
      .values({ account, bytes: measured.bytes, files: measured.files })
      .onConflict((conflict) => conflict.column("account").doNothing())
      .execute();
  }

  async replaceMeasured(account: string, measured: Usage, version: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("file_usage")
      .set((eb) => ({ bytes: measured.bytes, files: measured.files, version: eb("version", "+", 1) }))
      .where("account", "=", account)
      .where("version", "=", version)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom("file_reservations").select("id").where("file_reservations.account", "=", account).where("file_reservations.expires_at", ">", now))),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async reserve(reservation: Reservation, limits: QuotaLimits, now: number, onRefusal: RefusalEffect = "keep"): Promise<ReserveOutcome> {
    if (this.dialect === "postgres") {
      return this.db.transaction().execute(async (trx) => {
        // The row lock every reserver of this account queues on (and the version bump).
        if (!(await this.#bumpVersion(trx, reservation.account))) return "no-usage";
        return this.#reserveGuarded(trx, reservation, limits, now, onRefusal);
      });
    }
    if (!(await this.#bumpVersion(this.db, reservation.account))) return "no-usage";
    return this.#reserveGuarded(this.db, reservation, limits, now, onRefusal);
  }

  async settle(account: string, change: Usage, reservationId: string): Promise<void> {
    const apply = async (db: Kysely<Database>): Promise<void> => {
      // Usage first, then the reservation: in between (SQLite) the upload counts twice, not zero times.
      await db
        .updateTable("file_usage")
        .set((eb) => ({ bytes: eb("bytes", "+", change.bytes), files: eb("files", "+", change.files), version: eb("version", "+", 1) }))
        .where("account", "=", account)
        .execute();
      await db.deleteFrom("file_reservations").where("id", "=", reservationId).execute();
    };
    if (this.dialect === "postgres") await this.db.transaction().execute(apply);
    else await apply(this.db);
  }

  async release(account: string, reservationId: string): Promise<void> {
    const apply = async (db: Kysely<Database>): Promise<void> => {
      await this.#bumpVersion(db, account);
      await db.deleteFrom("file_reservations").where("id", "=", reservationId).execute();
    };
    if (this.dialect === "postgres") await this.db.transaction().execute(apply);
    else await apply(this.db);
  }

  async renew(reservationIds: readonly string[], expiresAt: number): Promise<void> {
    for (let start = 0; start < reservationIds.length; start += RENEW_BATCH) {
      const batch = reservationIds.slice(start, start + RENEW_BATCH);
      await this.db.updateTable("file_reservations").set({ expires_at: expiresAt }).where("id", "in", batch).execute();
    }
  }

  async purgeExpired(account: string, now: number): Promise<ExpiredReservation[]> {
    const expired = await this.db.selectFrom("file_reservations").select(["id", "node", "temporary"]).where("account", "=", account).where("expires_at", "<=", now).execute();
    if (expired.length > 0) {
      // By id and still expired: one renewed meanwhile (its node was only slow) stays.
      await this.db
        .deleteFrom("file_reservations")
        .where("id", "in", expired.map((row) => row.id))
        .where("expires_at", "<=", now)
        .execute();
    }
    return expired;
  }

  async #bumpVersion(db: Kysely<Database>, account: string): Promise<boolean> {
    const result = await db
      .updateTable("file_usage")
      .set((eb) => ({ version: eb("version", "+", 1) }))
      .where("account", "=", account)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * INSERT … SELECT FROM the usage row, or on a second call for the same id an update to
   * the new amounts: one statement, so nothing can come between the check and the write.
   * "keep": WHERE it all fits, so a refusal changes nothing. "free": the amounts are
   * CASE WHEN it all fits … ELSE 0, so the refused upload gives its room back in the same
   * step (of two uploads that together cross the quota, the first to cross loses and the
   * other goes on at once, as when one process counted both).
   */
  async #reserveGuarded(db: Kysely<Database>, reservation: Reservation, limits: QuotaLimits, now: number, onRefusal: RefusalEffect): Promise<ReserveOutcome> {
    const { id, account, bytes, files, node, expiresAt, temporary } = reservation;
    const othersHold = (column: "bytes" | "files"): RawBuilder<number> =>
      sql<number>`(select coalesce(sum(r.${sql.ref(column)}), 0) from file_reservations r where r.account = ${account} and r.expires_at > ${now} and r.id <> ${id})`;
    const checks: RawBuilder<boolean>[] = [];
    if (limits.quotaBytes > 0 && bytes > 0) checks.push(sql<boolean>`u.bytes + ${othersHold("bytes")} + cast(${bytes} as bigint) <= cast(${limits.quotaBytes} as bigint)`);
    if (limits.quotaFiles > 0 && files > 0) checks.push(sql<boolean>`u.files + ${othersHold("files")} + cast(${files} as bigint) <= cast(${limits.quotaFiles} as bigint)`);
    const fits = checks.length > 0 ? sql<boolean>`(${sql.join(checks, sql` and `)})` : null;
    const amount = (value: number, type: "bigint" | "integer"): RawBuilder<number> =>
      onRefusal === "free" && fits ? sql<number>`case when ${fits} then cast(${value} as ${sql.raw(type)}) else 0 end` : sql<number>`cast(${value} as ${sql.raw(type)})`;
    let source = db
      .selectFrom("file_usage as u")
      .select([
        sql<string>`cast(${id} as text)`.as("id"),
        sql<string>`cast(${account} as text)`.as("account"),
        amount(bytes, "bigint").as("bytes"),
        amount(files, "integer").as("files"),
        sql<string>`cast(${node} as text)`.as("node"),
        sql<number>`cast(${expiresAt} as bigint)`.as("expires_at"),
        sql<string | null>`cast(${temporary} as text)`.as("temporary"),
      ])
      .where("u.account", "=", account);
    if (onRefusal === "keep" && fits) source = source.where(fits);
    const row = await db
      .insertInto("file_reservations")
      .columns(["id", "account", "bytes", "files", "node", "expires_at", "temporary"])
      .expression(source)
      .onConflict((conflict) =>
        conflict.column("id").doUpdateSet((eb) => ({ bytes: eb.ref("excluded.bytes"), files: eb.ref("excluded.files"), expires_at: eb.ref("excluded.expires_at") })),
      )
      .returning(["bytes", "files"])
      .executeTakeFirst();
    if (!row) return onRefusal === "keep" && fits ? "over-quota" : "no-usage";
    return Number(row.bytes) === bytes && Number(row.files) === files ? "reserved" : "over-quota";
  }
}
