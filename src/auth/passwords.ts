import { hash, verify } from "@node-rs/argon2";

/** Algorithm.Argon2id of @node-rs/argon2 (a const enum, which isolated modules cannot import). */
const ARGON2ID = 2;

/**
 * argon2id with the OWASP minimum (m=19 MiB, t=2, p=1). Hashing runs on the libuv
 * thread pool, never on the event loop.
 */
const parameters = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Verified against when there is no real hash, so "no such name" costs as much as "wrong password". */
let dummyHash: Promise<string> | null = null;

export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize("NFKC"), parameters);
}

export async function verifyPassword(phc: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword("cmymessage-dummy-password");
  const target = phc ?? (await dummyHash);
  try {
    const ok = await verify(target, password.normalize("NFKC"));
    return ok && phc !== undefined;
  } catch {
    return false;
  }
}
