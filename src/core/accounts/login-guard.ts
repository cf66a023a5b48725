import { limitKey } from "../../net/address.js";
import type { LoginFailure, LoginFailureStore } from "./ports.js";

export interface BruteForceSettings {
  /** Wait after the first failure; doubles with each further one. */
  readonly backoffBaseSeconds: number;
  readonly backoffMaxSeconds: number;
  /** Failures on one account name before it is locked. */
  readonly accountLockoutAfter: number;
  /** Failures from one address (IPv4, or IPv6 /64) before it is locked; higher, since many people can share one. */
  readonly addressLockoutAfter: number;
  readonly lockoutSeconds: number;
  /** A counter with no failure for this long starts again from zero. */
  readonly forgetAfterSeconds: number;
}

const withoutNul = (text: string): string => text.replaceAll("\u0000", "\uFFFD");

export type GuardVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Brute-force defence shared by every door (IRC SASL and NickServ, HTTP login, FTP):
 * exponential back-off and a temporary lockout, per account name and per source
 * address. Unknown names are counted like real ones, so the replies reveal nothing.
 */
export class LoginGuard {
  constructor(
    private readonly store: LoginFailureStore,
    private settings: BruteForceSettings,
    private readonly now: () => number = Date.now,
  ) {}

  update(settings: BruteForceSettings): void {
    this.settings = settings;
  }

  /** NUL cannot be stored by PostgreSQL (and is in no account name): it counts under U+FFFD instead. */
  static keys(accountFolded: string, address: string): { account: string; address: string } {
    return { account: `account:${withoutNul(accountFolded)}`, address: `address:${withoutNul(limitKey(address))}` };
  }

  #fresh(failure: LoginFailure | undefined, now: number): LoginFailure | undefined {
    if (!failure) return undefined;
    // A lockout lasts its full lockoutSeconds even when forgetAfterSeconds is shorter.
    if (failure.lockedUntil !== null && failure.lockedUntil > now) return failure;
    return now - failure.lastFailureAt > this.settings.forgetAfterSeconds * 1000 ? undefined : failure;
  }

  /** The counters an attempt is judged by: the address's, and the account's when there is one. */
  static #keysOf(accountFolded: string | null, address: string): string[] {
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    return accountFolded === null ? [keys.address] : [keys.account, keys.address];
  }

  /**
   * May this attempt go ahead? Checked before any password is verified. A null
   * account checks the address alone (registration, which names no existing account).
   */
  async check(accountFolded: string | null, address: string): Promise<GuardVerdict> {
    const now = this.now();
    const keys = LoginGuard.#keysOf(accountFolded, address);
    const failures = await this.store.get(keys);
    let until = 0;
    for (const key of keys) {
      const failure = this.#fresh(failures.get(key), now);
      if (!failure) continue;
      if (failure.lockedUntil !== null && failure.lockedUntil > now) until = Math.max(until, failure.lockedUntil);
      const backoff = Math.min(this.settings.backoffBaseSeconds * 2 ** (failure.failures - 1), this.settings.backoffMaxSeconds) * 1000;
      until = Math.max(until, failure.lastFailureAt + backoff);
    }
    return until > now ? { ok: false, retryAfterSeconds: Math.ceil((until - now) / 1000) } : { ok: true };
  }

  /** Counts one failure against the name (unless null) and the address; returns true when this failure locked either. */
  async recordFailure(accountFolded: string | null, address: string): Promise<boolean> {
    const now = this.now();
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    const failures = await this.store.get(LoginGuard.#keysOf(accountFolded, address));
    let locked = false;
    const counters: Array<readonly [string, number]> = [[keys.address, this.settings.addressLockoutAfter]];
    if (accountFolded !== null) counters.unshift([keys.account, this.settings.accountLockoutAfter]);
    for (const [key, threshold] of counters) {
      const count = (this.#fresh(failures.get(key), now)?.failures ?? 0) + 1;
      const lockedUntil = count >= threshold ? now + this.settings.lockoutSeconds * 1000 : null;
      if (lockedUntil !== null && count === threshold) locked = true;
      await this.store.put(key, { failures: count, lastFailureAt: now, lockedUntil });
    }
    return locked;
  }

  /** A successful login resets the account's counter (not the address's: one good login must not unlock an attacker's address). */
  async recordSuccess(accountFolded: string): Promise<void> {
    await this.store.clear(LoginGuard.keys(accountFolded, "").account);
  }
}
