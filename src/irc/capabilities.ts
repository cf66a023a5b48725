import type { Config } from "../config/schema.js";
import { saslMechanisms } from "./sasl/mechanisms.js";
import { multilineLimits } from "./multiline-limits.js";

/** The IRCv3 capabilities this server offers, with their CAP LS 302 values. */
export const CAPABILITIES = [
  "draft/account-registration",
  "draft/chathistory",
  "draft/message-redaction",
  "draft/multiline",
  "draft/read-marker",
  "draft/webpush",
  "account-notify",
  "account-tag",
  "away-notify",
  "batch",
  "cap-notify",
  "echo-message",
  "extended-join",
  "extended-monitor",
  "invite-notify",
  "labeled-response",
  "message-tags",
  "multi-prefix",
  "sasl",
  "server-time",
  "setname",
  "userhost-in-names",
] as const;

export type Capability = (typeof CAPABILITIES)[number];

const known: ReadonlySet<string> = new Set(CAPABILITIES);

export function isCapability(name: string): name is Capability {
  return known.has(name);
}

/** Whether the running configuration offers `cap` (CAP LS lists it, CAP REQ may enable it). */
export function capabilityOffered(cap: Capability, config: Config): boolean {
  return cap !== "draft/webpush" || config.push.enabled;
}

/** The CAP LS 302 value of a capability, from the running configuration. */
export function capabilityValue(cap: Capability, config: Config): string | null {
  switch (cap) {
    case "sasl":
      return saslMechanisms(config).join(",");
    case "draft/account-registration":
      // Any valid account name may be registered, not only the current nick.
      return "before-connect,custom-account-name";
    case "draft/multiline": {
      const limits = multilineLimits(config);
      return `max-bytes=${limits.maxBytes},max-lines=${limits.maxLines}`;
    }
    default:
      return null;
  }
}

/**
 * What a new configuration changes in the offering (CAP LS): `removed`, capabilities no longer
 * offered; `added`, those offered now and not before; `revalued`, those offered before and now
 * whose CAP LS 302 value changed. Null when nothing changed (most reloads).
 */
export interface CapabilityChanges {
  readonly removed: readonly Capability[];
  readonly added: readonly Capability[];
  readonly revalued: readonly Capability[];
}

export function capabilityChanges(before: Config, after: Config): CapabilityChanges | null {
  const removed: Capability[] = [];
  const added: Capability[] = [];
  const revalued: Capability[] = [];
  for (const cap of CAPABILITIES) {
    const was = capabilityOffered(cap, before);
    const is = capabilityOffered(cap, after);
    if (was && !is) removed.push(cap);
    else if (!was && is) added.push(cap);
    else if (is && capabilityValue(cap, before) !== capabilityValue(cap, after)) revalued.push(cap);
  }
  return removed.length + added.length + revalued.length === 0 ? null : { removed, added, revalued };
}

/** Caps whose presence changes how a shared event is written; each is one bit of a format variant. */
export const VARIANT_BITS = {
  "server-time": 1,
  "message-tags": 2,
  "account-tag": 4,
  "extended-join": 8,
  /** Only with `batch` too (the multiline spec depends on it): see variantOf. */
  "draft/multiline": 16,
} as const satisfies Partial<Record<Capability, number>>;

export const VARIANT_COUNT = 32;

export function variantOf(caps: ReadonlySet<Capability>): number {
  let variant = 0;
  for (const [cap, bit] of Object.entries(VARIANT_BITS) as Array<[Capability, number]>) if (caps.has(cap)) variant |= bit;
  // A multiline message goes out as a BATCH, which a client without `batch` cannot read.
  if (!caps.has("batch")) variant &= ~VARIANT_BITS["draft/multiline"];
  return variant;
}
