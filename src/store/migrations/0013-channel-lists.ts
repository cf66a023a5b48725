import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * A registered channel's ban, ban-exception and invite-exception lists (+b, +e, +I),
 * kept with its topic and modes: they went with the channel when it emptied, so a
 * registered channel's bans let everyone in again after a restart or a quiet night
 * (Ergo and Anope keep them). JSON, as `ChannelsRepository` writes it; "" for none
 * (every channel registered before this version).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable("channels")
    .addColumn("mode_lists", "text", (c) => c.notNull().defaultTo(""))
    .execute();
}
