import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

/**
 * A SCRAM-SHA-256 verifier (RFC 5802 / 7677): salt, iteration count, StoredKey and
 * ServerKey. It lets the server check a SCRAM proof without knowing the password;
 * it is not enough to log in with. It is weaker than argon2id against offline
 * guessing (PBKDF2), which is why argon2id stays the primary credential and the
 * verifier is only made when SCRAM is enabled.
 */
export interface ScramVerifier {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const hmac = (key: Buffer, text: string | Buffer): Buffer => createHmac("sha256", key).update(text).digest();
const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();

export async function makeScramVerifier(password: string, iterations: number): Promise<ScramVerifier> {
  const salt = randomBytes(16);
  const salted = await pbkdf2Async(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  return { iterations, salt, storedKey: sha256(hmac(salted, "Client Key")), serverKey: hmac(salted, "Server Key") };
}

export function encodeScramVerifier(v: ScramVerifier): string {
  return [v.iterations, v.salt.toString("base64"), v.storedKey.toString("base64"), v.serverKey.toString("base64")].join(":");
}

export function decodeScramVerifier(text: string): ScramVerifier | null {
  const [iterations, salt, storedKey, serverKey] = text.split(":");
  if (!iterations || !salt || !storedKey || !serverKey) return null;
  return { iterations: Number(iterations), salt: Buffer.from(salt, "base64"), storedKey: Buffer.from(storedKey, "base64"), serverKey: Buffer.from(serverKey, "base64") };
}

/** Checks a client proof against the verifier; on success returns the server signature to send back. */
export function checkScramProof(verifier: ScramVerifier, authMessage: string, proof: Buffer): Buffer | null {
  const clientSignature = hmac(verifier.storedKey, authMessage);
  if (proof.length !== clientSignature.length) return null;
  const clientKey = Buffer.alloc(proof.length);
  for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
  if (!timingSafeEqual(sha256(clientKey), verifier.storedKey)) return null;
  return hmac(verifier.serverKey, authMessage);
}
