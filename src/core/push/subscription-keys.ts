import { createECDH } from "node:crypto";
import type { SubscriptionKeys } from "./ports.js";

/** URL-safe base64 (RFC 4648 §5), padding optional as browsers leave it off. */
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

const P256_UNCOMPRESSED_BYTES = 65;
const AUTH_SECRET_BYTES = 16;

function decode(text: string): Buffer | null {
  return BASE64URL.test(text) ? Buffer.from(text, "base64url") : null;
}

/** Whether `key` is a point on P-256, which ECDH with it needs (a wrong one would fail every push). */
function onCurve(key: Buffer): boolean {
  try {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    ecdh.computeSecret(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * The keys as the server keeps them (unpadded base64url), or null with the reason when
 * they cannot encrypt for aes128gcm: `p256dh` must be a 65-byte uncompressed P-256
 * point and `auth` exactly 16 bytes.
 */
export function validateKeys(keys: { p256dh?: string | undefined; auth?: string | undefined }): { ok: true; keys: SubscriptionKeys } | { ok: false; why: string } {
  const p256dh = keys.p256dh === undefined ? null : decode(keys.p256dh);
  if (p256dh === null || p256dh.length !== P256_UNCOMPRESSED_BYTES || p256dh[0] !== 0x04 || !onCurve(p256dh)) {
    return { ok: false, why: "p256dh must be an uncompressed P-256 public key (65 bytes, base64url)" };
  }
  const auth = keys.auth === undefined ? null : decode(keys.auth);
  if (auth === null || auth.length !== AUTH_SECRET_BYTES) return { ok: false, why: "auth must be a 16-byte secret (base64url)" };
  return { ok: true, keys: { p256dh: p256dh.toString("base64url"), auth: auth.toString("base64url") } };
}
