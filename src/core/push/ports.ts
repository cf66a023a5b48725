import type { MessageEvent } from "../chat/events.js";

/** The keys a device encrypts its notifications with (RFC 8291), base64url as the browser gives them. */
export interface SubscriptionKeys {
  /** The device's P-256 ECDH public key: 65 bytes, uncompressed point. */
  readonly p256dh: string;
  /** The device's authentication secret: 16 bytes. */
  readonly auth: string;
}

/** One device of an account that wants notifications: a push service endpoint and its keys. */
export interface PushSubscription {
  /** The account, casefolded. */
  readonly account: string;
  readonly endpoint: string;
  readonly keys: SubscriptionKeys;
}

/**
 * `stale-credentials`: the registering session logged in under an older credentialsVersion than
 * the account now has (its password changed since; the session is about to be ended).
 */
export type AddOutcome = "added" | "replaced" | "too-many" | "no-such-account" | "stale-credentials";

/** Where subscriptions are kept (the store implements it). Accounts are casefolded. */
export interface PushSubscriptionStore {
  /**
   * Adds the subscription, or replaces the keys of the account's subscription with the same
   * endpoint; refuses a new one when the account already holds `max`. Refuses either when
   * `loggedInUnder`, the account's credentialsVersion the registering session logged in under,
   * is older than the account's present one: a password change deletes the account's
   * subscriptions, and a session of the old password must not add one after that delete.
   * Atomic per account, also against a password change (the version is read under the lock).
   */
  add(subscription: PushSubscription, now: number, max: number, loggedInUnder: number): Promise<AddOutcome>;
  /** Removes it; true when there was one. */
  remove(account: string, endpoint: string): Promise<boolean>;
  ofAccount(account: string): Promise<PushSubscription[]>;
  /**
   * Removes every subscription of the account (its password changed, or it signed out
   * everywhere: a device registered by whoever held a session must not go on receiving its
   * messages); returns how many there were.
   */
  deleteForAccount(account: string): Promise<number>;
  /** Records that a push service accepted a notification for it. */
  markUsed(account: string, endpoint: string, now: number): Promise<void>;
}

/**
 * What became of one notification: accepted by the push service; `gone` when the service
 * says the subscription no longer exists (it is then deleted); `failed` for anything else
 * (refused, rate-limited, unreachable, timed out, or dropped because too many were waiting).
 */
export type PushOutcome = "delivered" | "gone" | "failed";

/** Sends one payload to one subscription (the Web Push adapter implements it). Never rejects. */
export interface PushSender {
  send(subscription: PushSubscription, payload: string): Promise<PushOutcome>;
}

/** Whether an endpoint may be used, and if not, why (said to the client as is). */
export type EndpointVerdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** Checks an endpoint before it is stored: scheme and where it leads (the adapter that sends decides). */
export type EndpointGuard = (endpoint: string) => Promise<EndpointVerdict>;

/**
 * The notification's payload for a message: in draft/webpush, one IRC line. Supplied by the
 * IRC adapter, since the core does not speak IRC.
 */
export type PushPayloadFormatter = (event: MessageEvent) => string;
