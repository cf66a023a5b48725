import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { LoginFailure, LoginFailureStore } from "../core/accounts/ports.js";

/** Failed-login counters, in the database so every service and every node shares them. */
export class LoginFailuresRepository implements LoginFailureStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(keys: readonly string[]): Promise<Map<string, LoginFailure>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.selectFrom("login_failures").selectAll().where("key", "in", keys).execute();
    return new Map(rows.map((r) => [r.key, { failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until }]));
  }

  async put(key: string, failure: LoginFailure): Promise<void> {
    const values = { failures: failure.failures, last_failure_at: failure.lastFailureAt, locked_until: failure.lockedUntil };
    await this.db
      .insertInto("login_failures")
      .values({ key, ...values })
      .onConflict((conflict) => conflict.column("key").doUpdateSet(values))
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom("login_failures").where("key", "=", key).execute();
  }
}
