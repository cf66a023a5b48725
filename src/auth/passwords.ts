import { availableParallelism } from "node:os";
import { HashPool } from "./hash-thread.js";

/** Algorithm.Argon2id of @node-rs/argon2 (a const enum, which isolated modules cannot import). */
const ARGON2ID = 2;

/**
 * argon2id with the OWASP minimum (m=19 MiB, t=2, p=1), stored as a PHC string
 * with a random per-password salt. Hashing runs on worker threads of lower
 * priority, never on the event loop.
 */
export const ARGON2_PARAMETERS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Hashes at once: one core fewer than the machine has (at least one), so a burst of
 * logins leaves a core for the event loop and chat latency stays flat.
 */
export const HASH_THREADS = Math.max(1, availableParallelism() - 1);
/**
 * As many threads as hashes may run at once, each niced below the event loop
 * (see hash-thread.ts); what waits for a thread waits in order.
 */
export const hashPool = new HashPool(HASH_THREADS);

/** Verified against when there is no real hash, so "no such name" costs as much as "wrong password". */
let dummyHash: Promise<string> | null = null;

function normalize(password: string): string {
  return password.normalize("NFKC");
}

export function hashPassword(password: string): Promise<string> {
  return hashPool.hash(normalize(password), ARGON2_PARAMETERS);
}

/** False for a missing hash (after spending the same time), a malformed one, or a wrong password. */
export async function verifyPassword(phc: string | undefined | null, password: string): Promise<boolean> {
  dummyHash ??= hashPassword("cmymessage-dummy-password");
  const target = phc ?? (await dummyHash);
  try {
    const ok = await hashPool.verify(target, normalize(password));
    return ok && phc !== undefined && phc !== null;
  } catch {
    return false;
  }
}

/** Whether a stored hash was made with other parameters than today's, so it should be re-hashed on login. */
export function needsRehash(phc: string): boolean {
  const p = ARGON2_PARAMETERS;
  return !phc.startsWith(`$argon2id$v=19$m=${p.memoryCost},t=${p.timeCost},p=${p.parallelism}$`);
}
