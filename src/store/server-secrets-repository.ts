import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Secrets made once and kept in the database, shared by restarts and by every node. */
export class ServerSecretsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The secret called `name`: the stored one, or `make()`'s stored now. Read first, so
   * a secret that exists costs no making (a certificate takes a while); when absent,
   * insert-if-absent then read, so when two nodes start at once and both make one,
   * both end up with the one that was stored first.
   */
  async getOrCreate(name: string, make: () => Buffer | Promise<Buffer>): Promise<Buffer> {
    const stored = await this.#find(name);
    if (stored) return stored;
    const made = await make();
    await this.db
      .insertInto("server_secrets")
      .values({ name, value: made.toString("base64") })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    const winner = await this.#find(name);
    if (!winner) throw new Error(`server secret ${name} was stored but cannot be read back`);
    return winner;
  }

  async #find(name: string): Promise<Buffer | undefined> {
    const row = await this.db.selectFrom("server_secrets").select("value").where("name", "=", name).executeTakeFirst();
    return row ? Buffer.from(row.value, "base64") : undefined;
  }
}
