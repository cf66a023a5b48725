/** The IRCv3 capabilities this server offers, with their CAP LS 302 values. */
export const CAPABILITIES = [
  "account-notify",
  "account-tag",
  "away-notify",
  "batch",
  "cap-notify",
  "echo-message",
  "extended-join",
  "invite-notify",
  "labeled-response",
  "message-tags",
  "multi-prefix",
  "server-time",
  "setname",
  "userhost-in-names",
] as const;

export type Capability = (typeof CAPABILITIES)[number];

const known: ReadonlySet<string> = new Set(CAPABILITIES);

export function isCapability(name: string): name is Capability {
  return known.has(name);
}

export function capabilityValue(_cap: Capability): string | null {
  return null;
}

/** Caps whose presence changes how a shared event is written; each is one bit of a format variant. */
export const VARIANT_BITS = {
  "server-time": 1,
  "message-tags": 2,
  "account-tag": 4,
  "extended-join": 8,
} as const satisfies Partial<Record<Capability, number>>;

export const VARIANT_COUNT = 16;

export function variantOf(caps: ReadonlySet<Capability>): number {
  let variant = 0;
  for (const [cap, bit] of Object.entries(VARIANT_BITS) as Array<[Capability, number]>) if (caps.has(cap)) variant |= bit;
  return variant;
}
