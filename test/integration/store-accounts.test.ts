/**
 * Accounts on every dialect: AccountService over AccountsRepository and the real
 * argon2id / SCRAM code. The clock is injected, so the brute-force guard's
 * back-off never makes a test wait.
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { test } from "node:test";
import assert from "node:assert/strict";
import { hash } from "@node-rs/argon2";
import { pino } from "pino";
import { AccountsRepository } from "../../src/store/accounts-repository.js";
import { LoginFailuresRepository } from "../../src/store/login-failures-repository.js";
import type { Store } from "../../src/store/database.js";
import { AccountService, ARGON2ID, SCRAM_SHA_256, type AccountSettings } from "../../src/core/accounts/account-service.js";
import { LoginGuard, type BruteForceSettings } from "../../src/core/accounts/login-guard.js";
import { ARGON2_PARAMETERS } from "../../src/auth/passwords.js";
import { checkScramProof, decodeScramVerifier } from "../../src/auth/scram.js";
import { forEachDialect, type DialectTarget } from "../support/databases.js";
import type { TestContext } from "node:test";

const silent = pino({ level: "silent" });
const PASSWORD = "correct horse battery";
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2_PARAMETERS.memoryCost},t=${ARGON2_PARAMETERS.timeCost},p=${ARGON2_PARAMETERS.parallelism}$`;

const BRUTE_FORCE: BruteForceSettings = {
  backoffBaseSeconds: 1,
  backoffMaxSeconds: 30,
  accountAddressLockoutAfter: 10,
  addressLockoutAfter: 30,
  lockoutSeconds: 900,
  forgetAfterSeconds: 3600,
  accountFailuresPerSecond: 4,
  failureDelayMaxSeconds: 5,
};

interface Harness {
  readonly store: Store;
  readonly repository: AccountsRepository;
  readonly service: AccountService;
  /** Moves the injected clock on (the guard's back-off after a failure is 1 s). */
  advance(seconds: number): void;
  now(): number;
  credentials(accountId: number): Promise<Array<{ kind: string; value: string }>>;
}

async function harness(t: TestContext, target: DialectTarget, settings: Partial<AccountSettings> = {}): Promise<Harness> {
  const database = await target.create(t);
  const store = await database.open();
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  const repository = new AccountsRepository(store.db);
  const guard = new LoginGuard(new LoginFailuresRepository(store.db), BRUTE_FORCE, clock);
  const service = new AccountService(repository, guard, { nameLength: 30, scramIterations: 4096, password: { minBytes: 8, rejectCommon: true }, selfRegistration: true, registrationsPerAddressPerHour: 0, ...settings }, silent, clock);
  return {
    store,
    repository,
    service,
    advance: (seconds) => {
      now += seconds * 1000;
    },
    now: clock,
    credentials: (accountId) => store.db.selectFrom("credentials").select(["kind", "value"]).where("account_id", "=", accountId).orderBy("kind").execute(),
  };
}

/** Registers `name` with PASSWORD, then puts an argon2id hash of it made with older parameters (m=4096) in place of today's. */
async function withOldHash(h: Harness, name: string): Promise<{ id: number; weak: string }> {
  const registered = await h.service.register(name, PASSWORD, null);
  assert.ok(registered.ok);
  const id = registered.account.id;
  const weak = await hash(PASSWORD.normalize("NFKC"), { algorithm: 2, memoryCost: 4096, timeCost: 2, parallelism: 1 });
  await h.store.db.updateTable("credentials").set({ value: weak }).where("account_id", "=", id).where("kind", "=", ARGON2ID).execute();
  return { id, weak };
}

/** A SCRAM-SHA-256 client proof for `password` against the verifier's salt and iterations (RFC 5802). */
function scramClient(password: string, salt: Buffer, iterations: number, authMessage: string) {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const signature = createHmac("sha256", storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  const serverSignature = createHmac("sha256", createHmac("sha256", salted).update("Server Key").digest()).update(authMessage).digest();
  return { proof, serverSignature };
}

forEachDialect("accounts (AccountService + AccountsRepository)", (target) => {
  test("register stores the account with an argon2id PHC hash at today's parameters and a working SCRAM-SHA-256 verifier", async (t) => {
    const h = await harness(t, target);
    const result = await h.service.register("Alice", PASSWORD, null);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.account.name, "Alice", "the name is kept as written");
    assert.equal(result.account.createdAt, h.now());
    assert.equal(result.account.lastSeenAt, null);
    assert.equal((await h.service.find("aLiCe"))?.id, result.account.id, "found case-insensitively");
    assert.equal((await h.service.findById(result.account.id))?.name, "Alice");

    const credentials = await h.credentials(result.account.id);
    assert.deepEqual(credentials.map((c) => c.kind), [ARGON2ID, SCRAM_SHA_256]);
    const phc = credentials[0]!.value;
    assert.ok(phc.startsWith(CURRENT_PREFIX), phc);
    assert.ok(!phc.includes(PASSWORD), "the password itself is not stored");

    const verifier = decodeScramVerifier(credentials[1]!.value);
    assert.ok(verifier);
    assert.equal(verifier.iterations, 4096);
    assert.equal(verifier.salt.length, 16);
    const authMessage = "n=Alice,r=abc,r=abcdef,s=xyz,i=4096,c=biws,r=abcdef";
    const good = scramClient(PASSWORD, verifier.salt, verifier.iterations, authMessage);
    assert.deepEqual(checkScramProof(verifier, authMessage, good.proof), good.serverSignature, "the verifier accepts a proof made from the password");
    const bad = scramClient("not the password", verifier.salt, verifier.iterations, authMessage);
    assert.equal(checkScramProof(verifier, authMessage, bad.proof), null);

    // Two accounts with the same password get different salts.
    const bob = await h.service.register("bob", PASSWORD, "bob@example.org");
    assert.ok(bob.ok);
    assert.equal(bob.account.email, "bob@example.org");
    const bobHash = (await h.credentials(bob.account.id))[0]!.value;
    assert.notEqual(bobHash, phc);
  });

  test("with scramIterations 0 no SCRAM verifier is stored", async (t) => {
    const h = await harness(t, target, { scramIterations: 0 });
    const result = await h.service.register("carol", PASSWORD, null);
    assert.ok(result.ok);
    assert.deepEqual((await h.credentials(result.account.id)).map((c) => c.kind), [ARGON2ID]);
    assert.equal(await h.service.credential(result.account, SCRAM_SHA_256), undefined);
  });

  test("a name taken in any letter case is refused as name-taken, also when two registrations race", async (t) => {
    const h = await harness(t, target);
    assert.ok((await h.service.register("Alice", PASSWORD, null)).ok);
    for (const name of ["alice", "ALICE", "aLiCe", "Alice"]) {
      assert.deepEqual(await h.service.register(name, "another password 1", null), { ok: false, reason: "name-taken" }, name);
    }
    // Both pass the "is it free?" check; the UNIQUE constraint decides, on either dialect.
    const [a, b] = await Promise.all([h.service.register("Racer", PASSWORD, null), h.service.register("racer", PASSWORD, null)]);
    assert.equal([a, b].filter((r) => r.ok).length, 1, JSON.stringify([a, b]));
    assert.deepEqual([a, b].find((r) => !r.ok), { ok: false, reason: "name-taken" });
    // The repository answers the same without the service's pre-check.
    assert.equal(await h.repository.create("ALICE", "alice", null, [], h.now()), "name-taken");
    assert.equal((await h.service.list()).length, 2);
  });

  test("invalid names are refused before anything is stored", async (t) => {
    const h = await harness(t, target, { nameLength: 9 });
    for (const name of ["", "1alice", "-alice", "al ice", "al,ice", "#alice", "alice!", "al:ice", "äli", "abcdefghij", "' OR 1=1 --", "a\u0000b", "a\nb"]) {
      assert.deepEqual(await h.service.register(name, PASSWORD, null), { ok: false, reason: "invalid-name" }, JSON.stringify(name));
    }
    for (const name of ["abcdefghi", "[x]", "a-1", "_^|{}`\\"]) {
      assert.ok((await h.service.register(name, PASSWORD, null)).ok, JSON.stringify(name));
    }
    assert.equal((await h.service.list()).length, 4);
  });

  test("the password policy: 8 to 1024 bytes of UTF-8 after NFKC, and not a common password", async (t) => {
    const h = await harness(t, target);
    const cases: Array<[string, string, string | null]> = [
      ["7 bytes", "x7bytes", "too-short"],
      ["6 two-byte characters = 12 bytes", "éééééé", null],
      ["3 two-byte characters = 6 bytes", "ééé", "too-short"],
      ["exactly 8 bytes", "k9#Lp2q!", null],
      ["exactly 1024 bytes", "k9#Lp2q!".repeat(128), null],
      ["1025 bytes", "k9#Lp2q!".repeat(128) + "x", "too-long"],
      ["513 two-byte characters = 1026 bytes", "é".repeat(513), "too-long"],
      ["common", "password", "too-common"],
      ["common, other case", "PassWord", "too-common"],
      ["common digits", "12345678", "too-common"],
      ["common after NFKC (full-width letters)", "ｐａｓｓｗｏｒｄ", "too-common"],
      ["empty", "", "too-short"],
    ];
    let n = 0;
    for (const [what, password, problem] of cases) {
      const result = await h.service.register(`user${n++}`, password, null);
      if (problem === null) assert.ok(result.ok, `${what}: ${JSON.stringify(result)}`);
      else assert.deepEqual(result, { ok: false, reason: problem }, what);
    }
    // Bytes are counted after NFKC: "㌀㌀" is 6 bytes raw but "アパートアパート" (24 bytes) after;
    // "ＡＢＣ" is 9 bytes raw but "ABC" (3 bytes) after.
    assert.ok((await h.service.register("expands", "\u3300\u3300", null)).ok);
    assert.deepEqual(await h.service.register("shrinks", "ＡＢＣ", null), { ok: false, reason: "too-short" });
  });

  test("NFKC: a password set with a composed character logs in with the decomposed form, and the other way round", async (t) => {
    const h = await harness(t, target);
    const composed = "caf\u00e9 au lait 42";
    const decomposed = "cafe\u0301 au lait 42";
    assert.notEqual(composed, decomposed);
    assert.ok((await h.service.register("composer", composed, null)).ok);
    assert.ok((await h.service.register("decomposer", decomposed, null)).ok);
    assert.equal((await h.service.login("composer", decomposed, "192.0.2.1", "test")).ok, true);
    assert.equal((await h.service.login("decomposer", composed, "192.0.2.1", "test")).ok, true);
    // Compatibility forms fold too: full-width digits and letters.
    assert.ok((await h.service.register("wide", "ＡＢＣ secret ９９", null)).ok);
    assert.equal((await h.service.login("wide", "ABC secret 99", "192.0.2.1", "test")).ok, true);
  });

  test("login: right password succeeds (any case of the name) and records last-seen; wrong password and unknown user fail alike", async (t) => {
    const h = await harness(t, target);
    const registered = await h.service.register("Alice", PASSWORD, null);
    assert.ok(registered.ok);

    h.advance(60);
    const ok = await h.service.login("ALICE", PASSWORD, "192.0.2.1", "test");
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(ok.account.id, registered.account.id);
    assert.equal((await h.service.find("alice"))?.lastSeenAt, h.now(), "last seen is the login time");

    h.advance(60);
    const wrong = await h.service.login("alice", "correct horse batterY", "192.0.2.1", "test");
    h.advance(60);
    const unknown = await h.service.login("nobody", PASSWORD, "192.0.2.2", "test");
    assert.deepEqual(wrong, { ok: false, reason: "invalid-credentials" });
    assert.deepEqual(unknown, wrong, "no user enumeration: the same answer");

    // An empty password is just a wrong one.
    h.advance(60);
    assert.deepEqual(await h.service.login("alice", "", "192.0.2.3", "test"), { ok: false, reason: "invalid-credentials" });
    // One failure from an address costs nothing (a typo): the right password gets in at once.
    assert.equal((await h.service.login("alice", PASSWORD, "192.0.2.3", "test")).ok, true);
    // Two from one address: back-off for alice from there (the guard is shared by every service); the clock decides.
    h.advance(1000);
    for (const guess of ["guess one", "guess two"]) assert.equal((await h.service.login("alice", guess, "192.0.2.4", "test")).ok, false);
    assert.deepEqual(await h.service.login("alice", PASSWORD, "192.0.2.4", "test"), { ok: false, reason: "throttled", retryAfterSeconds: 1 });
    assert.equal((await h.service.login("alice", PASSWORD, "192.0.2.5", "test")).ok, true, "not from elsewhere");
    h.advance(1000);
    assert.equal((await h.service.login("alice", PASSWORD, "192.0.2.4", "test")).ok, true);
  });

  test("an argon2id hash made with other parameters (m=4096) is replaced on the next successful login", async (t) => {
    const h = await harness(t, target);
    const { id, weak } = await withOldHash(h, "oldtimer");
    assert.ok(weak.startsWith("$argon2id$v=19$m=4096,t=2,p=1$"), weak);

    // A failed login does not touch the hash.
    h.advance(60);
    assert.equal((await h.service.login("oldtimer", "wrong password!", "192.0.2.1", "test")).ok, false);
    assert.equal((await h.credentials(id)).find((c) => c.kind === ARGON2ID)?.value, weak);

    h.advance(60);
    assert.equal((await h.service.login("oldtimer", PASSWORD, "192.0.2.1", "test")).ok, true);
    const after = await h.credentials(id);
    assert.deepEqual(after.map((c) => c.kind), [ARGON2ID, SCRAM_SHA_256], "one credential of each kind, no leftovers");
    const upgraded = after[0]!.value;
    assert.notEqual(upgraded, weak);
    assert.ok(upgraded.startsWith(CURRENT_PREFIX), upgraded);

    // The new hash works, and a hash already at today's parameters is left alone.
    h.advance(60);
    assert.equal((await h.service.login("oldtimer", PASSWORD, "192.0.2.1", "test")).ok, true);
    assert.equal((await h.credentials(id))[0]!.value, upgraded);
  });

  test("a hash upgraded at login does not bring back a password changed while that login was being checked", async (t) => {
    const h = await harness(t, target);
    const { id } = await withOldHash(h, "racer");

    // Another session changes the password after this login read and checked the old hash,
    // before it upgrades that hash: here, while the login records its last-seen time.
    const changedTo = "a brand new secret 9";
    const touch = h.repository.touch.bind(h.repository);
    let raced = false;
    h.repository.touch = async (accountId, now) => {
      if (!raced) {
        raced = true;
        assert.deepEqual(await h.service.changePassword("racer", changedTo), { ok: true });
      }
      await touch(accountId, now);
    };
    h.advance(60);
    assert.equal((await h.service.login("racer", PASSWORD, "192.0.2.1", "test")).ok, true, "the login that began before the change");
    assert.ok(raced);

    h.advance(60);
    assert.equal((await h.service.login("racer", changedTo, "192.0.2.1", "test")).ok, true, "the changed password stays");
    h.advance(60);
    assert.equal((await h.service.login("racer", PASSWORD, "192.0.2.1", "test")).ok, false, "the old one does not come back");
    assert.ok((await h.credentials(id)).find((c) => c.kind === ARGON2ID)!.value.startsWith(CURRENT_PREFIX));
  });

  test("changePassword replaces hash and SCRAM verifier; the old password stops working; weak or unknown are refused", async (t) => {
    const h = await harness(t, target);
    const registered = await h.service.register("dave", PASSWORD, null);
    assert.ok(registered.ok);
    const before = await h.credentials(registered.account.id);

    assert.deepEqual(await h.service.changePassword("DAVE", "new secret phrase 7"), { ok: true });
    const after = await h.credentials(registered.account.id);
    assert.deepEqual(after.map((c) => c.kind), [ARGON2ID, SCRAM_SHA_256]);
    assert.notEqual(after[0]!.value, before[0]!.value);
    assert.notEqual(after[1]!.value, before[1]!.value);

    h.advance(60);
    assert.equal((await h.service.login("dave", PASSWORD, "192.0.2.1", "test")).ok, false);
    h.advance(60);
    assert.equal((await h.service.login("dave", "new secret phrase 7", "192.0.2.1", "test")).ok, true);

    assert.deepEqual(await h.service.changePassword("dave", "short"), { ok: false, reason: "too-short" });
    assert.deepEqual(await h.service.changePassword("dave", "password1"), { ok: false, reason: "too-common" });
    assert.deepEqual(await h.service.changePassword("nobody", "new secret phrase 7"), { ok: false, reason: "no-such-account" });
    assert.deepEqual((await h.credentials(registered.account.id)).map((c) => c.value), after.map((c) => c.value), "refused changes change nothing");
  });

  test("delete removes the account and, by cascade, its credentials and refresh tokens (not other accounts')", async (t) => {
    const h = await harness(t, target);
    const erin = await h.service.register("Erin", PASSWORD, null);
    const frank = await h.service.register("frank", PASSWORD, null);
    assert.ok(erin.ok && frank.ok);
    for (const account of [erin.account, frank.account]) {
      await h.store.db
        .insertInto("refresh_tokens")
        .values({ account_id: account.id, family: `f-${account.id}`, token_hash: `h-${account.id}`, created_at: 1, expires_at: 2, rotated_at: null, revoked_at: null })
        .execute();
    }

    assert.equal(await h.service.delete("ERIN"), true);
    assert.equal(await h.service.find("erin"), undefined);
    assert.equal(await h.service.findById(erin.account.id), undefined);
    assert.deepEqual(await h.credentials(erin.account.id), [], "credentials cascade");
    assert.deepEqual(await h.store.db.selectFrom("refresh_tokens").select("account_id").execute(), [{ account_id: frank.account.id }], "refresh tokens cascade");
    assert.equal((await h.credentials(frank.account.id)).length, 2, "others keep theirs");
    assert.equal(await h.service.delete("erin"), false, "a second delete finds nothing");

    h.advance(60);
    assert.deepEqual(await h.service.login("erin", PASSWORD, "192.0.2.1", "test"), { ok: false, reason: "invalid-credentials" });
    // The name is retired: what is kept under it must not pass to a new account.
    assert.deepEqual(await h.service.register("erin", "a new erin password", null), { ok: false, reason: "name-retired" });
    assert.ok((await h.service.register("frank2", "a new frank password", null)).ok, "other names are free");
  });

  test("list returns every account ordered by folded name", async (t) => {
    const h = await harness(t, target);
    for (const name of ["zed", "Bob", "alice", "Carol"]) assert.ok((await h.service.register(name, PASSWORD, null)).ok);
    assert.deepEqual((await h.service.list()).map((a) => a.name), ["alice", "Bob", "Carol", "zed"]);
  });
});
