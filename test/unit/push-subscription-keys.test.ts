import { test } from "node:test";
import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { validateKeys } from "../../src/core/push/subscription-keys.js";

const point = (): Buffer => {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return ecdh.getPublicKey();
};

test("a browser's keys are accepted and kept as unpadded base64url", () => {
  const p256dh = point();
  const auth = randomBytes(16);
  const result = validateKeys({ p256dh: p256dh.toString("base64url"), auth: `${auth.toString("base64url")}==` });
  assert.deepEqual(result, { ok: true, keys: { p256dh: p256dh.toString("base64url"), auth: auth.toString("base64url") } });
});

test("keys that cannot encrypt aes128gcm are refused with the reason", () => {
  const auth = randomBytes(16).toString("base64url");
  const cases: Array<[Record<string, string | undefined>, RegExp]> = [
    [{ auth }, /p256dh/],
    [{ p256dh: point().subarray(0, 33).toString("base64url"), auth }, /p256dh/],
    [{ p256dh: Buffer.concat([Buffer.from([4]), randomBytes(64)]).toString("base64url"), auth }, /p256dh/],
    [{ p256dh: `+${point().toString("base64url").slice(1)}`, auth }, /p256dh/],
    [{ p256dh: point().toString("base64url") }, /auth/],
    [{ p256dh: point().toString("base64url"), auth: randomBytes(15).toString("base64url") }, /auth/],
    [{ p256dh: point().toString("base64url"), auth: "not base64!" }, /auth/],
  ];
  for (const [keys, reason] of cases) {
    const result = validateKeys(keys);
    assert.equal(result.ok, false, JSON.stringify(keys));
    if (!result.ok) assert.match(result.why, reason);
  }
});
