import { randomUUID } from "node:crypto";
import { limitKey } from "../../net/address.js";
import type { RegistrationRecordStore } from "./ports.js";

/** The window `accounts.registrationsPerAddressPerHour` counts in. */
const WINDOW_MS = 3_600_000;

export type RegistrationReservation = { ok: true; release(): Promise<void> } | { ok: false; retryAfterSeconds: number };

/**
 * How many accounts one address (IPv4, or IPv6 /64) may create per hour, counted in
 * the shared database so the limit holds across nodes. A reservation is written
 * first and counted after: of any registrations racing from one address, at most
 * the limit are let through (a race may refuse one more than needed, never admit one).
 */
export class RegistrationLimit {
  constructor(
    private readonly store: RegistrationRecordStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one of `perHour` places for `address` (0 = no limit); release it if the account is not made. */
  async reserve(address: string, perHour: number): Promise<RegistrationReservation> {
    if (perHour === 0) return { ok: true, release: () => Promise.resolve() };
    const key = limitKey(address);
    const now = this.now();
    const from = now - WINDOW_MS + 1;
    await this.store.forgetBefore(from);
    const id = randomUUID();
    await this.store.add(id, key, now);
    const others = (await this.store.since(key, from)).filter((record) => record.id !== id);
    if (others.length < perHour) return { ok: true, release: () => this.store.remove(id) };
    await this.store.remove(id);
    // A place frees when enough of the oldest records leave the window to leave fewer than perHour.
    const freeing = others[others.length - perHour]!;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freeing.at + WINDOW_MS - now) / 1000)) };
  }
}

/** What every door tells someone refused by the per-address limit. */
export function addressLimitText(retryAfterSeconds: number): string {
  return `Too many accounts created from your address; try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}`;
}

/** What every door tells someone when self-registration is off. */
export const SELF_REGISTRATION_OFF_TEXT = "This server does not let anyone create an account; ask its operator for one";
