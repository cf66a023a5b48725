import type { EndpointGuard, PushSubscriptionStore } from "./ports.js";
import type { LiveRegistrations } from "./live-registrations.js";
import { validateKeys } from "./subscription-keys.js";

export interface SubscriptionLimits {
  readonly maxPerAccount: number;
}

/** Why a registration was refused; `why` is a sentence for the client. */
export type RegisterRefusal =
  | { readonly ok: false; readonly reason: "invalid-keys" | "invalid-endpoint"; readonly why: string }
  | { readonly ok: false; readonly reason: "too-many" | "no-such-account" | "stale-credentials" | "unavailable" };

export type RegisterResult = { readonly ok: true; readonly replaced: boolean } | RegisterRefusal;

/**
 * Registering and removing an account's push subscriptions (draft/webpush REGISTER and
 * UNREGISTER). Input is checked before anything is stored: the keys must be able to
 * encrypt, the endpoint must pass the sender's guard (scheme, and not leading into the
 * server's own network), and an account holds at most `maxPerAccount`.
 */
export class PushSubscriptions {
  constructor(
    private readonly store: PushSubscriptionStore,
    private readonly live: LiveRegistrations,
    private readonly guard: EndpointGuard,
    private readonly limits: () => SubscriptionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `account` casefolded; `sessionId` the registering session, whose device counts as online while
   * it is connected; `loggedInUnder` the account's credentialsVersion that session logged in under
   * (refused, `stale-credentials`, once the password changed since).
   */
  async register(account: string, sessionId: string, loggedInUnder: number, endpoint: string, keys: { p256dh?: string | undefined; auth?: string | undefined }): Promise<RegisterResult> {
    const valid = validateKeys(keys);
    if (!valid.ok) return { ok: false, reason: "invalid-keys", why: valid.why };
    const verdict = await this.guard(endpoint);
    if (!verdict.ok) return { ok: false, reason: "invalid-endpoint", why: verdict.why };
    let outcome;
    try {
      outcome = await this.store.add({ account, endpoint, keys: valid.keys }, this.now(), this.limits().maxPerAccount, loggedInUnder);
    } catch {
      return { ok: false, reason: "unavailable" };
    }
    if (outcome === "too-many" || outcome === "no-such-account" || outcome === "stale-credentials") return { ok: false, reason: outcome };
    this.live.registered(account, endpoint, sessionId);
    return { ok: true, replaced: outcome === "replaced" };
  }

  /** Removing a subscription that does not exist is not an error (the spec says to ignore it). */
  async unregister(account: string, endpoint: string): Promise<{ ok: true } | { ok: false; reason: "unavailable" }> {
    this.live.forget(account, endpoint);
    try {
      await this.store.remove(account, endpoint);
    } catch {
      return { ok: false, reason: "unavailable" };
    }
    return { ok: true };
  }
}
