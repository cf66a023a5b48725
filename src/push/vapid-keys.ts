import { createECDH } from "node:crypto";

/** The server's VAPID key pair (RFC 8292), base64url: a raw P-256 point and a 32-byte scalar. */
export interface VapidKeys {
  /** Uncompressed P-256 public key (65 bytes): what ISUPPORT VAPID advertises. */
  readonly publicKey: string;
  readonly privateKey: string;
}

/** The name of the VAPID private key in the server secrets (table server_secrets). */
export const VAPID_SECRET = "vapid-private-key";

const SCALAR_BYTES = 32;

/** A fresh P-256 private key, left-padded to 32 bytes (OpenSSL drops leading zero bytes). */
export function newVapidPrivateKey(): Buffer {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const key = ecdh.getPrivateKey();
  return Buffer.concat([Buffer.alloc(SCALAR_BYTES - key.length), key]);
}

/**
 * The VAPID keys, made on the first start and kept in the database (server secrets),
 * so every node of a cluster signs with the same key and subscriptions survive restarts.
 * Only the private key is stored; the public key is derived from it.
 */
export async function loadVapidKeys(getOrCreate: (name: string, make: () => Buffer) => Promise<Buffer>): Promise<VapidKeys> {
  const privateKey = await getOrCreate(VAPID_SECRET, newVapidPrivateKey);
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(privateKey);
  return { publicKey: ecdh.getPublicKey().toString("base64url"), privateKey: privateKey.toString("base64url") };
}
