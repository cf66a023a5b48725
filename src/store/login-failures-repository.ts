import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "./schema.js";
import type { FailureCount, LoginFailure, LoginFailureStore, SlotRequest } from "../core/accounts/ports.js";

const bigint = (value: number): RawBuilder<number> => sql<number>`cast(${value} as bigint)`;

/**
 * Failed-login counters, in the database so every service and every node shares them.
 * Each count is one statement (insert, or add to the row, returning the result): two nodes
 * counting failures of the same address at the same moment both count.
 */
export class LoginFailuresRepository implements LoginFailureStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(keys: readonly string[]): Promise<Map<string, LoginFailure>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.selectFrom("login_failures").selectAll().where("key", "in", keys).execute();
    return new Map(rows.map((r) => [r.key, { failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until }]));
  }

  async countFailure(key: string, count: FailureCount): Promise<number> {
    const { now, forgetBefore, lockAt, lockUntil } = count;
    const previous = this.#stillCounted(now, forgetBefore);
    const { rows } = await sql<{ failures: number }>`
      insert into login_failures (key, failures, last_failure_at, locked_until)
      values (${key}, 1, ${bigint(now)}, ${lockAt <= 1 ? bigint(lockUntil) : null})
      on conflict (key) do update set
        failures = ${previous} + 1,
        last_failure_at = excluded.last_failure_at,
        locked_until = case when ${previous} + 1 >= cast(${lockAt} as integer) then ${bigint(lockUntil)} else null end
      returning failures`.execute(this.db);
    return Number(rows[0]!.failures);
  }

  async takeSlot(key: string, request: SlotRequest): Promise<number | null> {
    const { now, forgetBefore, intervalMs, latestStart } = request;
    const previous = this.#stillCounted(now, forgetBefore);
    const start = sql<number>`case when login_failures.locked_until > ${bigint(now)} then login_failures.locked_until else ${bigint(now)} end`;
    const { rows } = await sql<{ locked_until: number }>`
      insert into login_failures (key, failures, last_failure_at, locked_until)
      values (${key}, 1, ${bigint(now)}, ${bigint(now + intervalMs)})
      on conflict (key) do update set
        failures = ${previous} + 1,
        last_failure_at = excluded.last_failure_at,
        locked_until = ${start} + ${bigint(intervalMs)}
      where ${latestStart === null ? sql`true` : sql`${start} <= ${bigint(latestStart)}`}
      returning locked_until`.execute(this.db);
    return rows.length === 0 ? null : Number(rows[0]!.locked_until) - intervalMs;
  }

  /** The row's count while it still counts (locked, or its last failure not yet forgotten), else 0. */
  #stillCounted(now: number, forgetBefore: number): RawBuilder<number> {
    return sql<number>`(case when login_failures.locked_until > ${bigint(now)} or login_failures.last_failure_at >= ${bigint(forgetBefore)} then login_failures.failures else 0 end)`;
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom("login_failures").where("key", "=", key).execute();
  }
}
