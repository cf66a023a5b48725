import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * The SHA-256 of the token a rotated refresh token was exchanged for: a reply lost on
 * its way back (a tab closed mid-refresh, a dropped mobile connection) leaves the client
 * holding the token just replaced, and `http.refreshReuseGraceSeconds` lets it present
 * that token again while the successor it never received is still unused. The link says
 * which token to retire then, so a family keeps at most one live token. Null while the
 * token is live, for a successor retired that way, and for tokens rotated before this.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable("refresh_tokens").addColumn("successor_hash", "text").execute();
}
