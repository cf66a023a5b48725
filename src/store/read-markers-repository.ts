import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { ReadMarkerStore } from "../core/chat/read-markers.js";

/**
 * Read markers (table `read_markers`, one row per account and conversation). The
 * upsert moves a marker only forward, in one statement, so two clients setting
 * markers at once can never move it back: `ON CONFLICT … DO UPDATE … WHERE` reads
 * the same in SQLite and PostgreSQL.
 */
export class ReadMarkersRepository implements ReadMarkerStore {
  constructor(private readonly db: Kysely<Database>) {}

  async all(account: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom("read_markers")
      .innerJoin("accounts", "accounts.id", "read_markers.account_id")
      .select(["read_markers.target", "read_markers.read_at"])
      .where("accounts.name_folded", "=", account)
      .execute();
    return new Map(rows.map((row) => [row.target, Number(row.read_at)]));
  }

  async advance(account: string, target: string, readAt: number): Promise<{ readAt: number; moved: boolean } | null> {
    const owner = await this.db.selectFrom("accounts").select("id").where("name_folded", "=", account).executeTakeFirst();
    if (!owner) return null;
    const result = await this.db
      .insertInto("read_markers")
      .values({ account_id: owner.id, target, read_at: readAt })
      .onConflict((conflict) =>
        conflict
          .columns(["account_id", "target"])
          .doUpdateSet({ read_at: (eb) => eb.ref("excluded.read_at") })
          .where("read_markers.read_at", "<", (eb) => eb.ref("excluded.read_at")),
      )
      .executeTakeFirst();
    const moved = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    if (moved) return { readAt, moved };
    const row = await this.db.selectFrom("read_markers").select("read_at").where("account_id", "=", owner.id).where("target", "=", target).executeTakeFirst();
    // The row can only be missing if the account was deleted meanwhile.
    return row ? { readAt: Number(row.read_at), moved: false } : null;
  }

  async keepNewest(account: string, max: number): Promise<number> {
    const owner = await this.db.selectFrom("accounts").select("id").where("name_folded", "=", account).executeTakeFirst();
    if (!owner) return 0;
    const { count } = await this.db.selectFrom("read_markers").select((eb) => eb.fn.countAll<number>().as("count")).where("account_id", "=", owner.id).executeTakeFirstOrThrow();
    if (Number(count) <= max) return 0;
    // The newest `max` stay (ties at the boundary by target, so the choice is stable).
    const keep = this.db.selectFrom("read_markers").select("target").where("account_id", "=", owner.id).orderBy("read_at", "desc").orderBy("target").limit(max);
    const result = await this.db.deleteFrom("read_markers").where("account_id", "=", owner.id).where("target", "not in", keep).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
