/**
 * The credentials every generated account gets: one argon2id hash and one SCRAM
 * verifier of SCALE_PASSWORD, made once and reused. Made per account they would take
 * ~20 ms each (50,000 accounts: ~17 min); logins verify against the hash exactly as
 * they would against their own, only the salt is shared.
 */
import { hash } from "@node-rs/argon2";
import { ARGON2_PARAMETERS } from "../../src/auth/passwords.js";
import { encodeScramVerifier, makeScramVerifier } from "../../src/auth/scram.js";
import { SCALE_PASSWORD } from "./scale-shape.js";

export interface SharedCredentials {
  /** kind → value, as the credentials table holds them. */
  readonly argon2id: string;
  readonly scram: string;
}

/** The server's default auth.scramIterations (src/config/schema.ts). */
const SCRAM_ITERATIONS = 4096;

export async function sharedCredentials(): Promise<SharedCredentials> {
  const argon2id = await hash(SCALE_PASSWORD.normalize("NFKC"), ARGON2_PARAMETERS);
  const scram = encodeScramVerifier(await makeScramVerifier(SCALE_PASSWORD, SCRAM_ITERATIONS));
  return { argon2id, scram };
}
