import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import type { RegistrationRecordStore } from "../core/accounts/ports.js";

/** Recent account creations per address, in the database so every node counts the same ones. */
export class RegistrationAttemptsRepository implements RegistrationRecordStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(id: string, address: string, at: number): Promise<void> {
    await this.db.insertInto("registration_attempts").values({ id, address, created_at: at }).execute();
  }

  async since(address: string, from: number): Promise<Array<{ id: string; at: number }>> {
    const rows = await this.db
      .selectFrom("registration_attempts")
      .select(["id", "created_at"])
      .where("address", "=", address)
      .where("created_at", ">=", from)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map((row) => ({ id: row.id, at: row.created_at }));
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom("registration_attempts").where("id", "=", id).execute();
  }

  async forgetBefore(before: number): Promise<void> {
    await this.db.deleteFrom("registration_attempts").where("created_at", "<", before).execute();
  }
}
