import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Secrets made once and kept in the database, shared by restarts and by every node. */
export class ServerSecretsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The secret called `name`: the stored one, or `make()`'s stored now. Insert-if-absent
   * then read, so when two nodes start at once and both make one, both end up with
   * the one that was stored first.
   */
  async getOrCreate(name: string, make: () => Buffer): Promise<Buffer> {
    await this.db
      .insertInto("server_secrets")
      .values({ name, value: make().toString("base64") })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    const row = await this.db.selectFrom("server_secrets").select("value").where("name", "=", name).executeTakeFirstOrThrow();
    return Buffer.from(row.value, "base64");
  }
}
