/**
 * A Web Push service for tests: an HTTP server on 127.0.0.1 that plays the push service
 * AND the browser behind it. Each subscription it hands out has its own P-256 key pair
 * and auth secret, like a browser's PushSubscription; what the server POSTs to it is
 * checked and decrypted here with node:crypto only:
 *
 * - VAPID (RFC 8292): `Authorization: vapid t=<JWT>, k=<public key>`, the JWT an ES256
 *   signature by that key over {aud: the endpoint's origin, exp ≤ 24 h ahead, sub};
 * - aes128gcm (RFC 8188) records with the key and nonce of RFC 8291 (ECDH with the
 *   subscription's private key, HKDF with its auth secret), padding removed.
 *
 * Anything that does not verify is kept in `errors` and answered 400, so a test that
 * expects `errors` to be empty fails on a bad signature or a bad encryption.
 */
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "./wait.js";

export interface ReceivedPush {
  /** The decrypted payload: for draft/webpush, one IRC line. */
  readonly text: string;
  /** The VAPID public key (k=) the request was signed with, base64url. */
  readonly vapidKey: string;
  readonly claims: { readonly aud: string; readonly exp: number; readonly sub: string };
  readonly headers: http.IncomingHttpHeaders;
}

export class TestSubscription {
  #ecdh: ECDH;
  #auth = randomBytes(16);
  readonly received: ReceivedPush[] = [];
  /** Requests that reached this subscription, verified or not. */
  requests = 0;
  /** The status this subscription answers with (201, or 410 for "unsubscribed", …). */
  status = 201;

  constructor(readonly endpoint: string) {
    this.#ecdh = createECDH("prime256v1");
    this.#ecdh.generateKeys();
  }

  /** New keys for the same endpoint, as a browser that renews its subscription gets. */
  renewKeys(): void {
    this.#ecdh = createECDH("prime256v1");
    this.#ecdh.generateKeys();
    this.#auth = randomBytes(16);
  }

  /** `p256dh=…;auth=…`: the `<keys>` of WEBPUSH REGISTER. */
  get keys(): string {
    return `p256dh=${this.#ecdh.getPublicKey().toString("base64url")};auth=${this.#auth.toString("base64url")}`;
  }

  /** RFC 8291 + RFC 8188: the plaintext of an aes128gcm body encrypted for this subscription. */
  decrypt(body: Buffer): string {
    if (body.length < 21) throw new Error("body shorter than the aes128gcm header");
    const salt = body.subarray(0, 16);
    const recordSize = body.readUInt32BE(16);
    const idLength = body[20]!;
    const senderKey = body.subarray(21, 21 + idLength);
    if (idLength !== 65 || senderKey[0] !== 0x04) throw new Error("keyid is not an uncompressed P-256 key");
    const secret = this.#ecdh.computeSecret(senderKey);
    const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), this.#ecdh.getPublicKey(), senderKey]);
    const ikm = Buffer.from(hkdfSync("sha256", secret, this.#auth, keyInfo, 32));
    const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
    const nonceBase = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
    const records = body.subarray(21 + idLength);
    if (recordSize < 18 || records.length === 0) throw new Error("bad record size or no record");
    const parts: Buffer[] = [];
    for (let offset = 0, seq = 0; offset < records.length; offset += recordSize, seq++) {
      const record = records.subarray(offset, offset + recordSize);
      const last = offset + recordSize >= records.length;
      const nonce = Buffer.from(nonceBase);
      // NONCE XOR SEQ (96-bit big-endian); a test payload has few records, so the low 32 bits suffice.
      nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
      const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
      decipher.setAuthTag(record.subarray(record.length - 16));
      const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
      let end = padded.length - 1;
      while (end >= 0 && padded[end] === 0) end--;
      if (padded[end] !== (last ? 2 : 1)) throw new Error("bad padding delimiter");
      parts.push(padded.subarray(0, end));
    }
    return Buffer.concat(parts).toString("utf8");
  }

  /** Waits for a notification whose text matches. */
  waitForPush(pattern: RegExp, timeoutMs = 5000): Promise<ReceivedPush> {
    return waitFor(() => this.received.find((push) => pattern.test(push.text)), { timeoutMs, what: `a push matching ${String(pattern)}` });
  }
}

/** Checks the VAPID Authorization header; returns the key and the claims. */
function verifyVapid(header: string | undefined, origin: string): { vapidKey: string; claims: ReceivedPush["claims"] } {
  const match = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), ?k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!match) throw new Error(`Authorization is not "vapid t=…, k=…": ${header ?? "(none)"}`);
  const [jwt, vapidKey] = [match[1]!, match[2]!];
  const key = Buffer.from(vapidKey, "base64url");
  if (key.length !== 65 || key[0] !== 0x04) throw new Error("k is not an uncompressed P-256 key");
  const publicKey = createPublicKey({ key: { kty: "EC", crv: "P-256", x: key.subarray(1, 33).toString("base64url"), y: key.subarray(33).toString("base64url") }, format: "jwk" });
  const [head, body, signature] = jwt.split(".") as [string, string, string];
  const header_ = JSON.parse(Buffer.from(head, "base64url").toString()) as { alg?: string };
  if (header_.alg !== "ES256") throw new Error(`JWT alg is ${String(header_.alg)}, not ES256`);
  if (!verify("sha256", Buffer.from(`${head}.${body}`), { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url"))) {
    throw new Error("the VAPID JWT is not signed by k");
  }
  const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as ReceivedPush["claims"];
  if (claims.aud !== origin) throw new Error(`JWT aud ${claims.aud} is not the endpoint's origin ${origin}`);
  const now = Date.now() / 1000;
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600 + 60)) throw new Error(`JWT exp ${claims.exp} is not within the next 24 hours`);
  if (!/^(mailto:|https:)/.test(claims.sub ?? "")) throw new Error(`JWT sub ${String(claims.sub)} is not mailto: or https:`);
  return { vapidKey, claims };
}

export class PushEndpoint {
  readonly errors: string[] = [];
  readonly #subscriptions = new Map<string, TestSubscription>();
  #counter = 0;

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PushEndpoint> {
    let endpoint: PushEndpoint | null = null;
    const server = http.createServer((request, response) => endpoint!.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = new PushEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return endpoint;
  }

  /** A new device subscription (fresh keys), with a URL of its own. */
  subscribe(): TestSubscription {
    const subscription = new TestSubscription(`${this.origin}/push/${++this.#counter}-${randomBytes(6).toString("hex")}`);
    this.#subscriptions.set(new URL(subscription.endpoint).pathname, subscription);
    return subscription;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const subscription = this.#subscriptions.get(request.url ?? "");
      if (!subscription) {
        response.writeHead(404).end();
        return;
      }
      subscription.requests++;
      try {
        if (request.method !== "POST") throw new Error(`method ${request.method}`);
        if (request.headers["content-encoding"] !== "aes128gcm") throw new Error(`Content-Encoding ${String(request.headers["content-encoding"])}`);
        if (request.headers.ttl === undefined) throw new Error("no TTL header");
        const { vapidKey, claims } = verifyVapid(request.headers.authorization, this.origin);
        const body = Buffer.concat(chunks);
        if (body.length > 4096) throw new Error(`body of ${body.length} bytes is over the 4096 every push service takes`);
        const text = subscription.decrypt(body);
        if (subscription.status >= 200 && subscription.status < 300) subscription.received.push({ text, vapidKey, claims, headers: request.headers });
        response.writeHead(subscription.status).end();
      } catch (error) {
        this.errors.push((error as Error).message);
        response.writeHead(400).end();
      }
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
