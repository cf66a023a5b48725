import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { Logger } from "pino";
import webpush from "web-push";
import type { PushOutcome, PushSender, PushSubscription } from "../core/push/ports.js";
import { isPublicAddress } from "../net/public-address.js";
import { bareHost, guardedLookup, PrivateAddressError } from "./endpoint-policy.js";
import type { VapidKeys } from "./vapid-keys.js";

/**
 * The largest payload that fits the 4096 bytes every push service must accept (RFC 8030
 * §7.2) once encrypted as one aes128gcm record: 86 bytes of header (salt, record size,
 * the sender's key) and 17 per record (padding delimiter, GCM tag).
 */
export const WEB_PUSH_MAX_PAYLOAD_BYTES = 4096 - 86 - 17;

export interface SenderSettings {
  /** The VAPID `sub` claim: mailto: or https:. */
  readonly subject: string;
  readonly ttlSeconds: number;
  readonly timeoutMs: number;
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  /** push.allowPrivateEndpoints: http and non-public addresses allowed (tests only). */
  readonly allowPrivate: boolean;
}

/** At most one "dropped" warning this often. */
const DROP_LOG_INTERVAL_MS = 10_000;

/** What a push service's status means for the subscription (RFC 8030 §5-§7). */
function outcomeOf(status: number): PushOutcome {
  if (status >= 200 && status < 300) return "delivered";
  // 404: expired; 410: unsubscribed. Either way it will never work again.
  if (status === 404 || status === 410) return "gone";
  return "failed";
}

/**
 * Sends Web Push notifications (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload
 * encryption (RFC 8291), made by the `web-push` library; the request itself is ours
 * (node:http/https rather than fetch, for the guarded resolver of endpoint-policy.ts;
 * no redirects followed; one deadline per request). At most `maxConcurrent` requests run at once, in the order they were asked
 * for; up to `maxQueued` more wait, and past that a notification is dropped.
 *
 * VAPID signing and ECDH run on the event loop: about a millisecond per notification,
 * which the concurrency bound keeps from piling up.
 */
export class WebPushSender implements PushSender {
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #requests = new Set<http.ClientRequest>();
  #stopped = false;
  #dropped = 0;
  #droppedLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly vapid: VapidKeys,
    private readonly settings: () => SenderSettings,
    private readonly log: Logger,
  ) {}

  send(subscription: PushSubscription, payload: string): Promise<PushOutcome> {
    const settings = this.settings();
    if (this.#stopped) return Promise.resolve("failed");
    if (this.#active < settings.maxConcurrent && this.#waiting.length === 0) return this.#run(subscription, payload);
    if (this.#waiting.length >= settings.maxQueued) {
      this.#drop();
      return Promise.resolve("failed");
    }
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#run(subscription, payload))));
  }

  /** Abandons what is in flight and what waits (shutdown); later sends fail at once. */
  stop(): void {
    this.#stopped = true;
    for (const request of this.#requests) request.destroy(new Error("server stopping"));
    for (const start of this.#waiting.splice(0)) start();
  }

  #drop(): void {
    this.#dropped++;
    const now = Date.now();
    if (now - this.#droppedLoggedAt < DROP_LOG_INTERVAL_MS) return;
    this.log.warn({ dropped: this.#dropped }, "push notifications dropped: too many waiting for a request slot (push.maxQueuedPushes)");
    this.#dropped = 0;
    this.#droppedLoggedAt = now;
  }

  async #run(subscription: PushSubscription, payload: string): Promise<PushOutcome> {
    this.#active++;
    try {
      return this.#stopped ? "failed" : await this.#post(subscription, payload);
    } catch (error) {
      this.#report(subscription, `could not be sent: ${(error as Error).message}`);
      return "failed";
    } finally {
      this.#active--;
      if (this.#active < this.settings().maxConcurrent) this.#waiting.shift()?.();
    }
  }

  #post(subscription: PushSubscription, payload: string): Promise<PushOutcome> {
    const settings = this.settings();
    const url = new URL(subscription.endpoint);
    // The endpoint passed its check at REGISTER; the rules may have tightened since (REHASH).
    const host = bareHost(url);
    if (!settings.allowPrivate && (url.protocol !== "https:" || (isIP(host) !== 0 && !isPublicAddress(host)))) {
      this.#report(subscription, "refused by push.allowPrivateEndpoints: false");
      return Promise.resolve("failed");
    }
    let details: webpush.RequestDetails;
    try {
      details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
        vapidDetails: { subject: settings.subject, publicKey: this.vapid.publicKey, privateKey: this.vapid.privateKey },
        TTL: settings.ttlSeconds,
        contentEncoding: "aes128gcm",
        urgency: "high",
      });
    } catch (error) {
      this.#report(subscription, `could not be encrypted or signed: ${(error as Error).message}`);
      return Promise.resolve("failed");
    }
    const client = url.protocol === "https:" ? https : http;
    return new Promise<PushOutcome>((resolve) => {
      const request = client.request(url, { method: details.method, headers: details.headers as http.OutgoingHttpHeaders, lookup: guardedLookup(settings.allowPrivate) });
      this.#requests.add(request);
      // The whole exchange has one deadline; a push service that stalls gets no second chance.
      const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
      const end = (outcome: PushOutcome): void => {
        clearTimeout(deadline);
        this.#requests.delete(request);
        resolve(outcome);
      };
      request.on("response", (response) => {
        const status = response.statusCode ?? 0;
        // The body says nothing we act on; read and forget it, within the same deadline.
        response.resume();
        response.on("error", () => {});
        response.on("close", () => clearTimeout(deadline));
        const outcome = outcomeOf(status);
        if (outcome === "failed") this.#report(subscription, status === 429 || status >= 500 ? `push service busy or failing (HTTP ${status}); not retried` : `refused by the push service (HTTP ${status})`);
        end(outcome);
      });
      request.on("error", (error) => {
        this.#report(subscription, error instanceof PrivateAddressError ? error.message : `request failed: ${error.message}`);
        end("failed");
      });
      request.end(details.body);
    });
  }

  /** Logs a failed notification with the push service's origin only: an endpoint's path is a capability. */
  #report(subscription: PushSubscription, what: string): void {
    let service = "(invalid URL)";
    try {
      service = new URL(subscription.endpoint).origin;
    } catch {
      // Stored endpoints are URLs; this is only for safety.
    }
    this.log.warn({ account: subscription.account, service }, `push notification not delivered: ${what}`);
  }
}
