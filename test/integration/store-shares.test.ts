/**
 * The share store on every dialect: a share is found with its owner's folded name;
 * a grant is stored only for the share's owner, once per conversation; deleting the
 * owner's account deletes its shares and their audience.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { SharesRepository } from "../../src/store/shares-repository.js";
import { forEachDialect } from "../support/databases.js";

forEachDialect("shares repository", (target) => {
  async function open(t: Parameters<typeof target.create>[0]) {
    const database = await target.create(t);
    const store = await database.open();
    const accounts = new AccountsRepository(store.db);
    const ids: Record<string, number> = {};
    for (const name of ["Alice", "Bob"]) {
      const created = await accounts.create(name, name.toLowerCase(), null, [], 1_000);
      assert.ok(typeof created === "object", String(created));
      if (typeof created === "object") ids[name.toLowerCase()] = created.id;
    }
    return { store, accounts, ids, shares: new SharesRepository(store.db) };
  }

  test("a share is stored and found with its owner; unknown ids are undefined", async (t) => {
    const { shares, ids } = await open(t);
    await shares.create({ id: "AbCdEfGhIjKlMnOpQrStUv", ownerId: ids["alice"]!, path: "/pics/cat.png", createdAt: 1_700_000_000_123 });
    assert.deepEqual(await shares.find("AbCdEfGhIjKlMnOpQrStUv"), { id: "AbCdEfGhIjKlMnOpQrStUv", ownerId: ids["alice"], owner: "alice", path: "/pics/cat.png", createdAt: 1_700_000_000_123 });
    assert.equal(await shares.find("nothing"), undefined);
    assert.deepEqual(await shares.audience("AbCdEfGhIjKlMnOpQrStUv"), []);
  });

  test("only the owner's grant is stored, once per conversation, in the order given", async (t) => {
    const { shares, ids } = await open(t);
    await shares.create({ id: "share1", ownerId: ids["alice"]!, path: "/a", createdAt: 1 });
    assert.equal(await shares.grant("share1", "bob", "#bobs", 10), false, "not bob's to grant");
    assert.equal(await shares.grant("nothing", "alice", "#x", 10), false, "no such share");
    assert.equal(await shares.grant("share1", "alice", "#chan", 20), true);
    assert.equal(await shares.grant("share1", "alice", "#chan", 30), false, "already there");
    assert.equal(await shares.grant("share1", "alice", "@alice bob", 40), true);
    assert.deepEqual(await shares.audience("share1"), ["#chan", "@alice bob"]);
  });

  test("deleting the owner deletes the shares and their audience", async (t) => {
    const { shares, accounts, ids } = await open(t);
    await shares.create({ id: "share2", ownerId: ids["alice"]!, path: "/a", createdAt: 1 });
    await shares.grant("share2", "alice", "#chan", 2);
    assert.equal(await accounts.delete("alice", 3), true);
    assert.equal(await shares.find("share2"), undefined);
    assert.deepEqual(await shares.audience("share2"), []);
  });
});
