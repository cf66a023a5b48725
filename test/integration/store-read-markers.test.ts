/**
 * Read markers on every dialect: the repository's upsert only moves a marker forward,
 * also when many updates race, and an account's deletion takes its markers with it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { ReadMarkersRepository } from "../../src/store/read-markers-repository.js";
import { forEachDialect } from "../support/databases.js";

forEachDialect("read markers repository", (target) => {
  async function open(t: Parameters<typeof target.create>[0]) {
    const database = await target.create(t);
    const store = await database.open();
    const accounts = new AccountsRepository(store.db);
    const created = await accounts.create("Alice", "alice", null, [], 1_000);
    assert.notEqual(created, "name-taken");
    return { store, markers: new ReadMarkersRepository(store.db) };
  }

  test("a marker is created, moves forward, and never moves back", async (t) => {
    const { markers } = await open(t);
    assert.deepEqual(await markers.all("alice"), new Map());
    assert.deepEqual(await markers.advance("alice", "#general", 5_000), { readAt: 5_000, moved: true });
    assert.deepEqual(await markers.advance("alice", "#general", 7_000), { readAt: 7_000, moved: true });
    assert.deepEqual(await markers.advance("alice", "#general", 6_000), { readAt: 7_000, moved: false }, "an older time answers the stored one");
    assert.deepEqual(await markers.advance("alice", "#general", 7_000), { readAt: 7_000, moved: false }, "the same time is no move");
    await markers.advance("alice", "bob", 1_700_000_000_123);
    assert.deepEqual(await markers.all("alice"), new Map([["#general", 7_000], ["bob", 1_700_000_000_123]]));
  });

  test("racing updates end at the largest time", async (t) => {
    const { markers } = await open(t);
    const times = Array.from({ length: 40 }, (_, i) => 1_000 + ((i * 37) % 40) * 10);
    await Promise.all(times.map((time) => markers.advance("alice", "#race", time)));
    assert.equal((await markers.all("alice")).get("#race"), Math.max(...times));
  });

  test("an unknown account stores nothing; a deleted account's markers go with it", async (t) => {
    const { store, markers } = await open(t);
    assert.equal(await markers.advance("nobody", "#general", 5_000), null);
    await markers.advance("alice", "#general", 5_000);
    await store.db.deleteFrom("accounts").where("name_folded", "=", "alice").execute();
    const left = await store.db.selectFrom("read_markers").selectAll().execute();
    assert.deepEqual(left, []);
  });
});
