/**
 * AlwaysOnKeeper: a user's writes land in the order they were asked for, even when the
 * store answers an earlier one later (two connections of a PostgreSQL pool).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AlwaysOnKeeper, type AlwaysOnRecord, type AlwaysOnStore, type StoredAlwaysOn } from "../../src/core/chat/always-on.js";
import { ChatUser } from "../../src/core/chat/user.js";

/** A test double for the store (not for the keeper): its first write waits until the test opens it, as a slow connection would. */
class SlowFirstWriteStore implements AlwaysOnStore {
  stored: AlwaysOnRecord | null = null;
  #writes = 0;
  #open!: () => void;
  readonly #firstGate = new Promise<void>((resolve) => (this.#open = resolve));

  openFirstWrite(): void {
    this.#open();
  }

  async list(): Promise<StoredAlwaysOn[]> {
    return [];
  }

  async save(record: AlwaysOnRecord): Promise<void> {
    if (this.#writes++ === 0) await this.#firstGate;
    this.stored = record;
  }

  async remove(): Promise<void> {
    this.stored = null;
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("a newer state of an always-on user is not overwritten by an older write that the store finishes later", async () => {
  const store = new SlowFirstWriteStore();
  const keeper = new AlwaysOnKeeper(store, (error) => assert.fail(String(error)));
  const user = new ChatUser("u1", "erin", "erin", "Erin", "127.0.0.1", "127.0.0.1", false, 0);
  user.setAccount("erin");
  user.alwaysOn = true;

  keeper.changed(user);
  await nextTurn();
  user.away = "my own away";
  keeper.changed(user);
  await nextTurn();
  store.openFirstWrite();
  await keeper.drain();

  // Before: the second write ran beside the first, which then landed last with no away.
  assert.equal(store.stored?.away, "my own away");
});
