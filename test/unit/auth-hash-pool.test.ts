import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { HASH_NICENESS, HashPool } from "../../src/auth/hash-thread.js";
import { ARGON2_PARAMETERS, HASH_THREADS, hashPassword, hashPool, verifyPassword } from "../../src/auth/passwords.js";

/** The nice value of one of this process's threads, from /proc (field 19 of stat; the name may hold spaces). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

test("the password pool has one thread per core but one (at least one), and several hashes made at once all verify", async () => {
  assert.equal(HASH_THREADS, Math.max(1, availableParallelism() - 1));
  assert.equal(hashPool.size, HASH_THREADS);
  const passwords = ["first password", "second password", "third password", "fourth password"];
  const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
  assert.equal(new Set(hashes).size, passwords.length, "every hash has its own salt");
  assert.deepEqual(await Promise.all(hashes.map((h, i) => verifyPassword(h, passwords[i]!))), [true, true, true, true]);
  assert.deepEqual(await Promise.all(hashes.map((h, i) => verifyPassword(h, passwords[(i + 1) % passwords.length]!))), [false, false, false, false]);
  assert.ok(hashPool.threads >= 1 && hashPool.threads <= HASH_THREADS, `${hashPool.threads} threads started`);
});

test("jobs beyond the free threads start one thread each up to the pool size, and every thread is niced", async () => {
  const pool = new HashPool(3);
  assert.equal(pool.threads, 0, "threads start on demand");
  const jobs = ["a long password 1", "a long password 2", "a long password 3", "a long password 4", "a long password 5"].map((p) => pool.hash(p, ARGON2_PARAMETERS));
  // Five jobs and no thread free: three threads take the first three at once, two jobs wait.
  assert.equal(pool.threads, 3);
  const hashes = await Promise.all(jobs);
  assert.equal(hashes.length, 5);
  for (const hash of hashes) assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await pool.verify(hashes[4]!, "a long password 5"), true);
  assert.equal(pool.threads, 3, "no thread beyond the pool size");
  const tids = pool.threadIds();
  assert.equal(tids.length, 3);
  if (process.platform === "linux") {
    assert.equal(new Set(tids).size, 3, "three distinct kernel threads");
    for (const tid of tids) assert.equal(niceOf(tid), HASH_NICENESS, `thread ${tid} is niced`);
  }
});

test("a pool of one runs jobs one after the other, and a failed job does not stop the next", async () => {
  const pool = new HashPool(1);
  const jobs = [pool.verify("not a PHC string", "x"), pool.hash("still hashed", ARGON2_PARAMETERS)];
  assert.equal(pool.threads, 1);
  await assert.rejects(jobs[0]!);
  assert.equal(await pool.verify((await jobs[1]) as string, "still hashed"), true);
  assert.equal(pool.threads, 1);
});

test("a pool needs at least one thread", () => {
  assert.throws(() => new HashPool(0), RangeError);
});
