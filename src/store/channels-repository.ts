import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import { LIST_MODES, type ChannelRegistration, type ChannelRegistrationStore } from "../core/chat/channel-registry.js";
import type { FlagMode, ListEntry, ListMode } from "../core/chat/channel.js";
import { foldCase } from "../core/chat/names.js";

const FLAGS: ReadonlySet<string> = new Set<FlagMode>(["no-external", "topic-lock", "moderated", "invite-only", "secret"]);

/** Registered channels. The founder is kept as an account name; an account's deletion leaves the channel founderless. */
export class ChannelsRepository implements ChannelRegistrationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async loadAll(): Promise<ChannelRegistration[]> {
    return (await this.#select().execute()).map(toRegistration);
  }

  async load(folded: string): Promise<ChannelRegistration | null> {
    const row = await this.#select().where("channels.name_folded", "=", folded).executeTakeFirst();
    return row ? toRegistration(row) : null;
  }

  /**
   * ON CONFLICT DO NOTHING: of two nodes registering one channel at once the database
   * takes the first, and the second learns it was too late instead of taking the row over.
   */
  async insert(registration: ChannelRegistration): Promise<boolean> {
    const founder = await this.db.selectFrom("accounts").select("id").where("name_folded", "=", registration.founder).executeTakeFirst();
    const inserted = await this.db
      .insertInto("channels")
      .values({ ...stateColumns(registration), name: registration.name, name_folded: foldCase(registration.name), founder_account_id: founder?.id ?? null, created_at: registration.registeredAt })
      .onConflict((conflict) => conflict.column("name_folded").doNothing())
      .returning("id")
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /**
   * Writes the topic, modes and lists, never the founder, and only into the registration
   * they were made under (its `registeredAt`): a node that has not yet heard of a DROP, or
   * of a new registration after it, neither brings the old one back nor writes over the new one.
   */
  async update(registration: ChannelRegistration): Promise<void> {
    await this.db
      .updateTable("channels")
      .set(stateColumns(registration))
      .where("name_folded", "=", foldCase(registration.name))
      .where("created_at", "=", registration.registeredAt)
      .execute();
  }

  /** Deletes the registration only while `founder` (folded) is its founder; false when there was none of theirs. */
  async delete(folded: string, founder: string): Promise<boolean> {
    const founderId = this.db.selectFrom("accounts").select("id").where("name_folded", "=", founder);
    const result = await this.db.deleteFrom("channels").where("name_folded", "=", folded).where("founder_account_id", "=", founderId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  #select() {
    return this.db
      .selectFrom("channels")
      .leftJoin("accounts", "accounts.id", "channels.founder_account_id")
      .select(["channels.name", "channels.topic", "channels.topic_set_by", "channels.topic_set_at", "channels.modes", "channels.channel_key", "channels.user_limit", "channels.mode_lists", "channels.created_at", "accounts.name_folded as founder"]);
  }
}

interface RegistrationRow {
  name: string;
  topic: string | null;
  topic_set_by: string | null;
  topic_set_at: number | null;
  modes: string;
  channel_key: string | null;
  user_limit: number | null;
  mode_lists: string;
  created_at: number;
  founder: string | null;
}

function toRegistration(row: RegistrationRow): ChannelRegistration {
  return {
    name: row.name,
    founder: row.founder ?? "",
    topic: row.topic !== null ? { text: row.topic, setBy: row.topic_set_by ?? "", setAt: row.topic_set_at ?? row.created_at } : null,
    flags: row.modes.split(",").filter((f): f is FlagMode => FLAGS.has(f)),
    key: row.channel_key,
    limit: row.user_limit,
    lists: parseLists(row.mode_lists),
    registeredAt: row.created_at,
  };
}

/** The columns a registered channel's changes write: everything but its name, founder and registration time. */
function stateColumns(registration: ChannelRegistration) {
  return {
    topic: registration.topic?.text ?? null,
    topic_set_by: registration.topic?.setBy ?? null,
    topic_set_at: registration.topic?.setAt ?? null,
    modes: registration.flags.join(","),
    channel_key: registration.key,
    user_limit: registration.limit,
    mode_lists: JSON.stringify(registration.lists),
  };
}

type Lists = Record<ListMode, ListEntry[]>;

/**
 * The lists as `save` wrote them. "" (a channel registered before lists were kept) is no
 * lists; so is anything unreadable, entry by entry, rather than a server that cannot start.
 */
function parseLists(stored: string): Lists {
  const lists: Lists = { ban: [], exception: [], "invite-exception": [] };
  if (stored === "") return lists;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return lists;
  }
  if (typeof parsed !== "object" || parsed === null) return lists;
  for (const mode of LIST_MODES) {
    const entries: unknown = (parsed as Partial<Record<ListMode, unknown>>)[mode];
    if (Array.isArray(entries)) lists[mode] = entries.filter(isListEntry).map(({ mask, setBy, setAt }) => ({ mask, setBy, setAt }));
  }
  return lists;
}

function isListEntry(value: unknown): value is ListEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.mask === "string" && entry.mask !== "" && typeof entry.setBy === "string" && typeof entry.setAt === "number";
}
