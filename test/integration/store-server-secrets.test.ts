/**
 * Server secrets (ServerSecretsRepository over the server_secrets table) on every
 * dialect: made once, the same after reopening the database, and one winner when
 * several openers (nodes) make one at the same moment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ServerSecretsRepository } from "../../src/store/server-secrets-repository.js";
import { forEachDialect } from "../support/databases.js";

const bytes = (fill: number): Buffer => Buffer.alloc(32, fill);

forEachDialect("server secrets (server_secrets table)", (target) => {
  test("the first call stores what it makes; later calls, and a reopened database, get that secret and make nothing", async (t) => {
    const database = await target.create(t);
    const first = new ServerSecretsRepository((await database.open()).db);
    assert.deepEqual(await first.getOrCreate("scram", () => bytes(1)), bytes(1));
    assert.deepEqual(await first.getOrCreate("scram", () => bytes(2)), bytes(1), "kept, not replaced");

    const reopened = new ServerSecretsRepository((await database.open()).db);
    assert.deepEqual(await reopened.getOrCreate("scram", () => bytes(3)), bytes(1), "the same after a restart");
    assert.deepEqual(await reopened.getOrCreate("other", () => bytes(4)), bytes(4), "each name has its own secret");
    assert.deepEqual(await first.getOrCreate("other", () => bytes(5)), bytes(4));
  });

  test("a stored secret is returned without making one (making may be slow: a certificate); make() may be async", async (t) => {
    const database = await target.create(t);
    const secrets = new ServerSecretsRepository((await database.open()).db);
    let made = 0;
    const slowMake = async (): Promise<Buffer> => {
      made++;
      await new Promise((done) => setTimeout(done, 5));
      return bytes(7);
    };
    assert.deepEqual(await secrets.getOrCreate("certificate", slowMake), bytes(7));
    assert.deepEqual(await secrets.getOrCreate("certificate", slowMake), bytes(7));
    assert.equal(made, 1, "made once, then read");
  });

  test("openers racing to make the same secret all get one and the same", async (t) => {
    const database = await target.create(t);
    const nodes = await Promise.all([1, 2, 3, 4].map(async () => new ServerSecretsRepository((await database.open()).db)));
    // Makers slow enough that every opener has read "absent" before the first one stores: all race to insert.
    const secrets = await Promise.all(nodes.map((node, i) => node.getOrCreate("scram", async () => (await new Promise((done) => setTimeout(done, 20)), bytes(10 + i)))));
    assert.equal(new Set(secrets.map((s) => s.toString("hex"))).size, 1, `all agree: ${secrets.map((s) => s[0]).join(", ")}`);
    assert.ok([10, 11, 12, 13].includes(secrets[0]![0]!), "one of the made ones won");
  });
});
