/**
 * An SASL SCRAM-SHA-256 client (RFC 5802 / RFC 7677) written from the RFCs with
 * node:crypto, and the exchange driven over AUTHENTICATE from a raw client. It checks
 * the server's signature too, so a server that merely said "903" without knowing the
 * verifier fails.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import type { RawClient } from "./raw-client.js";
import { parseLine, type Line } from "./irc-lines.js";
import { AUTHENTICATE_LINE, SASL_END, sendAuthenticateData, startMechanism } from "./sasl.js";

// ── an RFC 5802 client ───────────────────────────────────────────────────────

const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text, "utf8").digest();
const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();
const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((byte, i) => byte ^ b[i]!));

/** RFC 5802 saslname: ',' and '=' escaped. */
const saslName = (name: string): string => name.replace(/=/g, "=3D").replace(/,/g, "=2C");

function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(",")) {
    assert.match(part, /^[a-zA-Z]=/, `malformed SCRAM attribute in ${JSON.stringify(message)}`);
    attributes.set(part[0]!, part.slice(2));
  }
  return attributes;
}

export interface ServerFirst {
  readonly raw: string;
  readonly nonce: string;
  readonly salt: Buffer;
  readonly iterations: number;
}

export class ScramSha256Client {
  readonly clientNonce = randomBytes(18).toString("base64");
  readonly gs2Header: string;
  readonly clientFirstBare: string;
  #serverSignature: Buffer | null = null;

  constructor(
    readonly user: string,
    readonly password: string,
    authzid?: string,
  ) {
    this.gs2Header = `n,${authzid === undefined ? "" : `a=${saslName(authzid)}`},`;
    this.clientFirstBare = `n=${saslName(user)},r=${this.clientNonce}`;
  }

  clientFirst(): string {
    return this.gs2Header + this.clientFirstBare;
  }

  parseServerFirst(message: string): ServerFirst {
    const attributes = parseAttributes(message);
    assert.ok(!attributes.has("m"), "no mandatory extensions");
    const nonce = attributes.get("r") ?? "";
    const salt = Buffer.from(attributes.get("s") ?? "", "base64");
    const iterations = Number(attributes.get("i"));
    assert.ok(nonce.startsWith(this.clientNonce) && nonce.length > this.clientNonce.length, "the server nonce extends ours");
    assert.ok(salt.length >= 8, "a real salt");
    assert.ok(Number.isInteger(iterations) && iterations >= 4096, "RFC 7677: at least 4096 iterations");
    return { raw: message, nonce, salt, iterations };
  }

  clientFinal(first: ServerFirst): string {
    const withoutProof = `c=${Buffer.from(this.gs2Header).toString("base64")},r=${first.nonce}`;
    const salted = pbkdf2Sync(this.password.normalize("NFKC"), first.salt, first.iterations, 32, "sha256");
    const clientKey = hmac(salted, "Client Key");
    const authMessage = `${this.clientFirstBare},${first.raw},${withoutProof}`;
    const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
    this.#serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** True when the server-final message proves the server holds this password's verifier. */
  verifyServerFinal(message: string): boolean {
    const attributes = parseAttributes(message);
    assert.ok(!attributes.has("e"), `server-final error: ${message}`);
    const signature = Buffer.from(attributes.get("v") ?? "", "base64");
    return this.#serverSignature !== null && signature.length === this.#serverSignature.length && timingSafeEqual(signature, this.#serverSignature);
  }
}

// ── driving it over AUTHENTICATE ─────────────────────────────────────────────

const fromBase64 = (data: string): string => Buffer.from(data, "base64").toString("utf8");

/** The next AUTHENTICATE data line or ending numeric. */
async function nextStep(c: RawClient): Promise<{ data: string } | { end: Line }> {
  const line = await c.waitFor((raw) => AUTHENTICATE_LINE.test(raw) || SASL_END.test(raw), 10_000);
  const match = AUTHENTICATE_LINE.exec(line);
  return match ? { data: match[1]! } : { end: parseLine(line) };
}

export interface ScramOutcome {
  serverFirst: ServerFirst | null;
  serverFinal: string | null;
  signatureValid: boolean | null;
  end: Line;
}

/** A whole SCRAM exchange on `c` (sasl negotiated); resolves with what the server sent and the numeric that ended it. */
export async function scramLogin(c: RawClient, client: ScramSha256Client): Promise<ScramOutcome> {
  const started = await startMechanism(c, "SCRAM-SHA-256");
  if ("end" in started) return { serverFirst: null, serverFinal: null, signatureValid: null, end: started.end };
  assert.equal(started.data, "+");
  sendAuthenticateData(c, Buffer.from(client.clientFirst()).toString("base64"));
  const first = await nextStep(c);
  if ("end" in first) return { serverFirst: null, serverFinal: null, signatureValid: null, end: first.end };
  const serverFirst = client.parseServerFirst(fromBase64(first.data));
  sendAuthenticateData(c, Buffer.from(client.clientFinal(serverFirst)).toString("base64"));
  const final = await nextStep(c);
  if ("end" in final) return { serverFirst, serverFinal: null, signatureValid: null, end: final.end };
  const serverFinal = fromBase64(final.data);
  const signatureValid = client.verifyServerFinal(serverFinal);
  if (!signatureValid) {
    c.send("AUTHENTICATE *");
    return { serverFirst, serverFinal, signatureValid, end: parseLine(await c.waitFor(SASL_END)) };
  }
  c.send("AUTHENTICATE +");
  const end = await nextStep(c);
  assert.ok("end" in end, "nothing more to exchange after the server-final message");
  return { serverFirst, serverFinal, signatureValid, end: end.end };
}
