/**
 * Refresh-token families (RefreshSessions over the refresh_tokens table) on every
 * dialect, with an injected clock: rotation, reuse detection, expiry, logout,
 * revocation on password change, the race of two refreshes of one token, and the
 * grace period in which the token just replaced may be exchanged again.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { pino } from "pino";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { RefreshTokensRepository } from "../../src/store/refresh-tokens-repository.js";
import { RefreshSessions } from "../../src/core/accounts/refresh-sessions.js";
import type { Account } from "../../src/core/accounts/ports.js";
import type { Store } from "../../src/store/database.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";

const DAY = 86_400_000;

interface Harness {
  readonly store: Store;
  readonly sessions: RefreshSessions;
  readonly alice: Account;
  readonly bob: Account;
  advance(ms: number): void;
}

/** The harness's `http.refreshReuseGraceSeconds` unless a test gives one: none, so every reuse is theft. */
async function harness(t: TestContext, target: DialectTarget, refreshReuseGraceSeconds = 0): Promise<Harness> {
  const database = await target.create(t);
  const store = await database.open();
  let now = Date.UTC(2030, 0, 1);
  const accounts = new AccountsRepository(store.db);
  const alice = await accounts.create("alice", "alice", null, [], now);
  const bob = await accounts.create("bob", "bob", null, [], now);
  assert.ok(typeof alice === "object" && typeof bob === "object");
  const sessions = new RefreshSessions(new RefreshTokensRepository(store.db), accounts, { refreshTokenDays: 30, refreshReuseGraceSeconds }, pino({ level: "silent" }), () => now);
  return { store, sessions, alice, bob, advance: (ms) => (now += ms) };
}

async function refreshOk(h: Harness, token: string): Promise<string> {
  const result = await h.sessions.refresh(token, "192.0.2.1");
  assert.ok(result.ok, `refresh refused: ${JSON.stringify(result)}`);
  return result.refresh.token;
}

function hash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The hashes of the tokens that may still be exchanged. */
async function liveTokens(h: Harness): Promise<string[]> {
  const rows = await h.store.db.selectFrom("refresh_tokens").select("token_hash").where("rotated_at", "is", null).where("revoked_at", "is", null).execute();
  return rows.map((row) => row.token_hash);
}

forEachDialect("RefreshSessions (refresh_tokens table, injected clock)", (target) => {
  test("only the SHA-256 of a token is stored, never the token", async (t) => {
    const h = await harness(t, target);
    const issued = await h.sessions.start(h.alice);
    const rows = await h.store.db.selectFrom("refresh_tokens").selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.token_hash, createHash("sha256").update(issued.token).digest("hex"));
    assert.ok(!JSON.stringify(rows).includes(issued.token));
  });

  test("each refresh rotates within the family and extends the lifetime; the account comes back", async (t) => {
    const h = await harness(t, target);
    const first = await h.sessions.start(h.alice);
    h.advance(20 * DAY);
    const result = await h.sessions.refresh(first.token, "192.0.2.1");
    assert.ok(result.ok);
    assert.equal(result.account.name, "alice");
    assert.equal(result.refresh.expiresAt, first.expiresAt + 20 * DAY);
    const families = await h.store.db.selectFrom("refresh_tokens").select("family").distinct().execute();
    assert.equal(families.length, 1);
  });

  test("a reused token revokes the whole family; other families live on", async (t) => {
    const h = await harness(t, target);
    const a = await h.sessions.start(h.alice);
    const other = await h.sessions.start(h.alice);
    const a2 = await refreshOk(h, a.token);
    const a3 = await refreshOk(h, a2);
    assert.deepEqual(await h.sessions.refresh(a.token, "203.0.113.9"), { ok: false, reason: "reused" });
    assert.deepEqual(await h.sessions.refresh(a3, "192.0.2.1"), { ok: false, reason: "invalid" });
    // Replaying again is still recognised (and changes nothing more).
    assert.deepEqual(await h.sessions.refresh(a2, "203.0.113.9"), { ok: false, reason: "reused" });
    await refreshOk(h, other.token);
  });

  test("an expired token is refused, and forgotten by prune", async (t) => {
    const h = await harness(t, target);
    const issued = await h.sessions.start(h.alice);
    h.advance(30 * DAY);
    assert.deepEqual(await h.sessions.refresh(issued.token, "192.0.2.1"), { ok: false, reason: "invalid" });
    assert.equal(await h.sessions.prune(), 1);
    assert.deepEqual(await h.sessions.refresh(issued.token, "192.0.2.1"), { ok: false, reason: "invalid" });
  });

  test("end() (logout) revokes the family from any of its tokens; unknown and malformed tokens change nothing", async (t) => {
    const h = await harness(t, target);
    const issued = await h.sessions.start(h.alice);
    const next = await refreshOk(h, issued.token);
    assert.equal(await h.sessions.end(issued.token), true);
    assert.deepEqual(await h.sessions.refresh(next, "192.0.2.1"), { ok: false, reason: "invalid" });
    assert.equal(await h.sessions.end("A".repeat(43)), false);
    assert.equal(await h.sessions.end("' OR 1=1 --"), false);
  });

  test("revokeAll ends every session of one account only", async (t) => {
    const h = await harness(t, target);
    const a1 = await h.sessions.start(h.alice);
    const a2 = await h.sessions.start(h.alice);
    const b = await h.sessions.start(h.bob);
    await h.sessions.revokeAll(h.alice, "password changed");
    for (const token of [a1.token, a2.token]) assert.deepEqual(await h.sessions.refresh(token, "192.0.2.1"), { ok: false, reason: "invalid" });
    await refreshOk(h, b.token);
  });

  test("two refreshes of one token at once: exactly one wins, the other is a reuse", async (t) => {
    const h = await harness(t, target);
    const issued = await h.sessions.start(h.alice);
    const results = await Promise.all([h.sessions.refresh(issued.token, "192.0.2.1"), h.sessions.refresh(issued.token, "192.0.2.2")]);
    assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
    assert.ok(results.some((r) => !r.ok && r.reason === "reused"));
  });

  test("within the grace period the replaced token is exchanged again and its unused successor retired: one live token, which works", async (t) => {
    const h = await harness(t, target, 30);
    const a = await h.sessions.start(h.alice);
    const lost = await refreshOk(h, a.token);
    h.advance(29_000);
    const retried = await h.sessions.refresh(a.token, "192.0.2.1");
    assert.ok(retried.ok, JSON.stringify(retried));
    assert.equal(retried.account.name, "alice");
    assert.equal(retried.refresh.expiresAt, a.expiresAt + 29_000);
    assert.deepEqual(await liveTokens(h), [hash(retried.refresh.token)]);
    await refreshOk(h, await refreshOk(h, retried.refresh.token));
    // Nothing was revoked, and no token is stored in clear.
    const rows = await h.store.db.selectFrom("refresh_tokens").selectAll().execute();
    assert.ok(rows.every((row) => row.revoked_at === null));
    assert.ok(![a.token, lost, retried.refresh.token].some((token) => JSON.stringify(rows).includes(token)));
  });

  test("the retired successor, presented later, is a reuse: the family is revoked, the reissued token with it", async (t) => {
    const h = await harness(t, target, 30);
    const a = await h.sessions.start(h.alice);
    const b = await refreshOk(h, a.token);
    const c = await refreshOk(h, a.token);
    h.advance(15 * 60_000);
    assert.deepEqual(await h.sessions.refresh(b, "203.0.113.9"), { ok: false, reason: "reused" });
    assert.deepEqual(await h.sessions.refresh(c, "192.0.2.1"), { ok: false, reason: "invalid" });
  });

  test("each retry within the window retires the successor before; the window runs from the first rotation", async (t) => {
    const h = await harness(t, target, 30);
    const a = await h.sessions.start(h.alice);
    await refreshOk(h, a.token);
    h.advance(10_000);
    await refreshOk(h, a.token);
    h.advance(10_000);
    const third = await refreshOk(h, a.token);
    assert.deepEqual(await liveTokens(h), [hash(third)]);
    h.advance(10_000);
    assert.deepEqual(await h.sessions.refresh(a.token, "192.0.2.1"), { ok: false, reason: "reused" });
    assert.deepEqual(await h.sessions.refresh(third, "192.0.2.1"), { ok: false, reason: "invalid" });
  });

  test("past the grace period a reuse revokes the family as before", async (t) => {
    const h = await harness(t, target, 30);
    const a = await h.sessions.start(h.alice);
    const b = await refreshOk(h, a.token);
    h.advance(30_000);
    assert.deepEqual(await h.sessions.refresh(a.token, "203.0.113.9"), { ok: false, reason: "reused" });
    assert.deepEqual(await h.sessions.refresh(b, "192.0.2.1"), { ok: false, reason: "invalid" });
  });

  test("no grace once the successor was used, nor for a token of a revoked family", async (t) => {
    const h = await harness(t, target, 30);
    const a = await h.sessions.start(h.alice);
    const b = await refreshOk(h, a.token);
    const c = await refreshOk(h, b);
    assert.deepEqual(await h.sessions.refresh(a.token, "203.0.113.9"), { ok: false, reason: "reused" });
    assert.deepEqual(await h.sessions.refresh(c, "192.0.2.1"), { ok: false, reason: "invalid" });

    const x = await h.sessions.start(h.alice);
    const y = await refreshOk(h, x.token);
    assert.equal(await h.sessions.end(y), true);
    assert.deepEqual(await h.sessions.refresh(x.token, "192.0.2.1"), { ok: false, reason: "reused" });
    assert.deepEqual(await liveTokens(h), []);
  });

  test("three refreshes of one token at once within the grace period: all answered, one live token left", async (t) => {
    const h = await harness(t, target, 30);
    const issued = await h.sessions.start(h.alice);
    const results = await Promise.all(["192.0.2.1", "192.0.2.2", "192.0.2.3"].map((address) => h.sessions.refresh(issued.token, address)));
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    const live = await liveTokens(h);
    assert.equal(live.length, 1);
    assert.ok(results.some((r) => r.ok && hash(r.refresh.token) === live[0]));
  });

  test("malformed tokens never reach the store", async (t) => {
    const h = await harness(t, target);
    for (const token of ["", "short", "x".repeat(44), "\u0000".repeat(43), "'".repeat(43)]) {
      assert.deepEqual(await h.sessions.refresh(token, "192.0.2.1"), { ok: false, reason: "invalid" });
    }
  });
});
