import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { AlwaysOnRecord, AlwaysOnStore, StoredAlwaysOn } from "../core/chat/always-on.js";
import { foldCase } from "../core/chat/names.js";

/** Always-on users, one row per account. Every value is a bound parameter. */
export class AlwaysOnRepository implements AlwaysOnStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<StoredAlwaysOn[]> {
    const rows = await this.db
      .selectFrom("always_on_users")
      .innerJoin("accounts", "accounts.id", "always_on_users.account_id")
      .select(["accounts.name as account", "accounts.multiclient", "nick", "username", "hostname", "realname", "channels", "detached_at"])
      .orderBy("accounts.name_folded")
      .execute();
    return rows.map((row) => ({
      account: row.account,
      multiclient: row.multiclient === null ? null : Number(row.multiclient) !== 0,
      nick: row.nick,
      username: row.username,
      hostname: row.hostname,
      realname: row.realname,
      channels: parseChannels(row.channels),
      detachedAt: row.detached_at === null ? null : Number(row.detached_at),
    }));
  }

  async save(record: AlwaysOnRecord): Promise<void> {
    const account = await this.db.selectFrom("accounts").select("id").where("name_folded", "=", foldCase(record.account)).executeTakeFirst();
    if (!account) return;
    const values = {
      nick: record.nick,
      username: record.username,
      hostname: record.hostname,
      realname: record.realname,
      channels: JSON.stringify(record.channels),
      detached_at: record.detachedAt,
    };
    await this.db
      .insertInto("always_on_users")
      .values({ account_id: account.id, ...values })
      .onConflict((conflict) => conflict.column("account_id").doUpdateSet(values))
      .execute();
  }

  async remove(account: string): Promise<void> {
    await this.db
      .deleteFrom("always_on_users")
      .where("account_id", "in", (qb) => qb.selectFrom("accounts").select("id").where("name_folded", "=", foldCase(account)))
      .execute();
  }
}

function parseChannels(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === "string") : [];
}
