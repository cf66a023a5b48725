import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessTokens } from "../../src/auth/tokens.js";
import { GENERATED_KEY_FILE, loadTokenKey } from "../../src/auth/token-key.js";

async function withKeyDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cmy-tokens-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("the key is made once (0600, in a 0700 folder) and loaded again on the next start", () =>
  withKeyDir(async (dir) => {
    const first = await loadTokenKey({ keyFile: "", dataDir: dir });
    assert.equal(first.generated, true);
    assert.equal((await stat(first.path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "keys"))).mode & 0o777, 0o700);
    const again = await loadTokenKey({ keyFile: "", dataDir: dir });
    assert.equal(again.generated, false);
    assert.equal(again.publicKeyPem, first.publicKeyPem);
    assert.match(await readFile(join(dir, GENERATED_KEY_FILE), "utf8"), /^-----BEGIN PRIVATE KEY-----/);
  }));

test("a token lives exactly its lifetime (with the clock tolerance), no longer", () =>
  withKeyDir(async (dir) => {
    const key = await loadTokenKey({ keyFile: "", dataDir: dir });
    let now = Date.UTC(2030, 0, 1);
    const tokens = new AccessTokens(key, { issuer: "irc.example.org", lifetimeMinutes: 15, clockToleranceSeconds: 5 }, () => now);
    const issued = await tokens.issue(42, "alice");
    assert.equal(issued.expiresAt, now + 15 * 60_000);
    assert.deepEqual(await tokens.verify(issued.token), { accountId: 42, accountName: "alice", credentialsVersion: 0, expiresAt: issued.expiresAt });
    now += 15 * 60_000 + 4_000;
    assert.ok(await tokens.verify(issued.token), "inside the tolerance");
    now += 2_000;
    assert.equal(await tokens.verify(issued.token), null);
  }));

test("a token issued before the clock says nbf is refused; so is one from another issuer", () =>
  withKeyDir(async (dir) => {
    const key = await loadTokenKey({ keyFile: "", dataDir: dir });
    let now = Date.UTC(2030, 0, 1);
    const tokens = new AccessTokens(key, { issuer: "irc.example.org", lifetimeMinutes: 15 }, () => now);
    const issued = await tokens.issue(1, "alice");
    now -= 60_000;
    assert.equal(await tokens.verify(issued.token), null, "not yet valid");
    now += 60_000;
    tokens.update({ issuer: "other.example.org", lifetimeMinutes: 15 });
    assert.equal(await tokens.verify(issued.token), null, "issuer changed");
  }));
