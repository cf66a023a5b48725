import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { AlwaysOnChannel, AlwaysOnModes, AlwaysOnRecord, AlwaysOnStore, StoredAlwaysOn } from "../core/chat/always-on.js";
import { foldCase } from "../core/chat/names.js";

/** Always-on users, one row per account. Every value is a bound parameter. */
export class AlwaysOnRepository implements AlwaysOnStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<StoredAlwaysOn[]> {
    const rows = await this.db
      .selectFrom("always_on_users")
      .innerJoin("accounts", "accounts.id", "always_on_users.account_id")
      .select(["accounts.name as account", "accounts.multiclient", "nick", "username", "hostname", "realname", "channels", "away", "modes", "detached_at"])
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
      away: row.away,
      modes: parseModes(row.modes),
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
      channels: JSON.stringify(record.channels.map(({ name, op, voice }) => ({ name, op, voice }))),
      away: record.away,
      modes: modeLetters(record.modes),
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

/** Each entry `{ name, op, voice }`; a bare name (a row written before statuses were kept) has none. */
function parseChannels(text: string): AlwaysOnChannel[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) return [];
  const channels: AlwaysOnChannel[] = [];
  for (const entry of parsed as unknown[]) {
    if (typeof entry === "string") channels.push({ name: entry, op: false, voice: false });
    else if (typeof entry === "object" && entry !== null) {
      const { name, op, voice } = entry as Record<string, unknown>;
      if (typeof name === "string") channels.push({ name, op: op === true, voice: voice === true });
    }
  }
  return channels;
}

/** The IRC letters of the user modes (`B`, `i`, `w`): what a person reading the table recognises. */
function modeLetters(modes: AlwaysOnModes): string {
  return `${modes.bot ? "B" : ""}${modes.invisible ? "i" : ""}${modes.wallops ? "w" : ""}`;
}

function parseModes(letters: string): AlwaysOnModes {
  return { bot: letters.includes("B"), invisible: letters.includes("i"), wallops: letters.includes("w") };
}
