import { limitKey } from "../../net/address.js";
import type { LoginFailure, LoginFailureStore } from "./ports.js";
import { SerialQueues } from "../../serial-queues.js";
import { AttemptTurns, type Turn } from "./attempt-turns.js";

/**
 * Longest an admitted attempt holds its turns without ending (a check that never
 * finished): after this, the next attempt on the same keys goes ahead.
 */
export const ATTEMPT_TURN_HOLD_MS = 10_000;

export interface BruteForceSettings {
  /**
   * Wait imposed on one address for one account after its second failure there;
   * doubles with each further failure (the first failure costs nothing: a typo).
   */
  readonly backoffBaseSeconds: number;
  readonly backoffMaxSeconds: number;
  /** Failures on one account from one address (IPv4, or IPv6 /64) before that address is locked out of that account. */
  readonly accountAddressLockoutAfter: number;
  /** Failures from one address on any accounts before it is locked out of all; higher, since many people can share one. */
  readonly addressLockoutAfter: number;
  readonly lockoutSeconds: number;
  /** A counter with no failure for this long starts again from zero. */
  readonly forgetAfterSeconds: number;
  /** Failed guesses on one account, from all addresses together, that are answered per second. */
  readonly accountFailuresPerSecond: number;
  /** Longest delay before a failure reply while an account's failures are paced (vsftpd's delay_failed_login, bounded). */
  readonly failureDelayMaxSeconds: number;
}

const withoutNul = (text: string): string => text.replaceAll("\u0000", "\uFFFD");

export type GuardVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

/** An attempt admit() let in: it holds its turns until end() (recordFailure and recordSuccess end it too). */
export interface Attempt {
  end(): void;
}

export type AdmitVerdict = { ok: true; attempt: Attempt } | { ok: false; retryAfterSeconds: number };

/** What a recorded failure did: whether it locked something, and how long to wait before replying. */
export interface FailureOutcome {
  readonly locked: boolean;
  readonly replyDelayMs: number;
}

/**
 * Brute-force defence shared by every door (IRC SASL, NickServ and OPER, HTTP login,
 * FTP), after OWASP's advice: lockouts are per address and per (account, address), so
 * nobody can lock an owner out from elsewhere. The account-wide counter only paces, at
 * accountFailuresPerSecond: an address's first failure on an account takes the account's
 * next slot and its reply waits for it (at most failureDelayMaxSeconds, as vsftpd's
 * delay_failed_login); every later attempt from an address that has failed there takes a
 * slot before its password is checked, and is refused while the slots are taken more than
 * failureDelayMaxSeconds ahead.
 * A correct password from an address that has not failed on the account is never refused
 * by the account's counter. Unknown names are counted like real ones, so the replies
 * reveal nothing.
 *
 * Attempts take turns (admit() to Attempt.end()): one at a time per (account, address),
 * and per address as many as its lockout leaves room for, those under way counting as
 * failures to come (the others wait; they are not refused). Without that, guesses sent
 * side by side (pipelined HTTP requests, parallel connections) were all let in on
 * counters that none of them had raised yet, past the back-off, the lockouts and the
 * account's pace. Turns are per process; the counters are shared by every node.
 */
export class LoginGuard {
  readonly #turns = new AttemptTurns(ATTEMPT_TURN_HOLD_MS);
  /** The addresses whose failures are being counted, one count at a time each (per process), so the count kept below only grows. */
  readonly #counting = new SerialQueues<string>();
  /**
   * The address failure count last read or written here, for addresses with attempts
   * under way: a burst of good logins from one address reads it once, not once each.
   */
  readonly #addressFailures = new Map<string, number>();

  constructor(
    private readonly store: LoginFailureStore,
    private settings: BruteForceSettings,
    private readonly now: () => number = Date.now,
  ) {}

  update(settings: BruteForceSettings): void {
    this.settings = settings;
  }

  /**
   * The counters' keys. NUL cannot be stored by PostgreSQL (and is in no account name):
   * it counts under U+FFFD instead. A space is in no account name, so it separates the pair.
   */
  static keys(accountFolded: string, address: string): { account: string; address: string; pair: string } {
    const name = withoutNul(accountFolded);
    const where = withoutNul(limitKey(address));
    return { account: `account:${name}`, address: `address:${where}`, pair: `pair:${where} ${name}` };
  }

  #fresh(failure: LoginFailure | undefined, now: number): LoginFailure | undefined {
    if (!failure) return undefined;
    // A lockout lasts its full lockoutSeconds even when forgetAfterSeconds is shorter.
    if (failure.lockedUntil !== null && failure.lockedUntil > now) return failure;
    return now - failure.lastFailureAt > this.settings.forgetAfterSeconds * 1000 ? undefined : failure;
  }

  /** When the account's next slot is free (kept in lockedUntil of the account's row; never a lockout). */
  static #nextSlot(failure: LoginFailure | undefined, now: number): number {
    return Math.max(now, failure?.lockedUntil ?? 0);
  }

  /**
   * Lets an attempt in, in its turn, or refuses it (see check()). A null account checks the
   * address alone (registration). The attempt holds its turns until it ends: the caller
   * passes it to recordFailure()/recordSuccess() or ends it itself, on every path.
   */
  async admit(accountFolded: string | null, address: string): Promise<AdmitVerdict> {
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    // The pair's turn first, then the address's: a holder of an address turn waits for nothing more.
    const pairTurn = accountFolded === null ? null : await this.#turns.acquire(keys.pair, 1);
    let addressTurn: Turn | null = null;
    const attempt: Attempt = {
      end: () => {
        addressTurn?.end();
        pairTurn?.end();
        if (this.#turns.holding(keys.address) === 0) this.#addressFailures.delete(keys.address);
      },
    };
    try {
      addressTurn = await this.#addressTurn(keys.address);
      // The pair's time limit counts from here: spent waiting for the address, it may have run
      // out, and another attempt on the pair may be under way. Try again in a moment then.
      if (pairTurn && !pairTurn.renew()) {
        attempt.end();
        return { ok: false, retryAfterSeconds: 1 };
      }
      const verdict = await this.check(accountFolded, address);
      if (verdict.ok) return { ok: true, attempt };
      attempt.end();
      return verdict;
    } catch (error) {
      attempt.end();
      throw error;
    }
  }

  /**
   * The address's turn: at once while the attempts under way there, counted as failures to
   * come, leave room before its lockout; otherwise once enough of them have ended. A burst
   * of guesses from one address then gets no more passwords checked than the lockout allows.
   */
  async #addressTurn(key: string): Promise<Turn> {
    for (;;) {
      if (this.#turns.holding(key) === 0) {
        this.#addressFailures.delete(key);
        return this.#turns.take(key);
      }
      let recorded = this.#addressFailures.get(key);
      if (recorded === undefined) {
        const read = this.#fresh((await this.store.get([key])).get(key), this.now())?.failures ?? 0;
        // A failure counted while this read was under way is newer than what it returns.
        recorded = Math.max(read, this.#addressFailures.get(key) ?? 0);
        if (this.#turns.holding(key) > 0) this.#addressFailures.set(key, recorded);
      }
      // No room (locked, or a lockout just past with the count still at its limit): one at a
      // time, each judged on what the one before it left.
      const room = Math.max(1, this.settings.addressLockoutAfter - recorded);
      if (this.#turns.holding(key) < room) return this.#turns.take(key);
      await this.#turns.fewerThan(key, room);
    }
  }

  /**
   * May this attempt go ahead? Checked before any password is verified. A null
   * account checks the address alone (registration, which names no existing account).
   */
  async check(accountFolded: string | null, address: string): Promise<GuardVerdict> {
    const now = this.now();
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    const failures = await this.store.get(accountFolded === null ? [keys.address] : [keys.address, keys.pair, keys.account]);
    let until = 0;
    const byAddress = this.#fresh(failures.get(keys.address), now);
    if (byAddress?.lockedUntil != null && byAddress.lockedUntil > now) until = byAddress.lockedUntil;
    const pair = accountFolded === null ? undefined : this.#fresh(failures.get(keys.pair), now);
    if (pair) {
      if (pair.lockedUntil !== null && pair.lockedUntil > now) until = Math.max(until, pair.lockedUntil);
      if (pair.failures >= 2) {
        const backoff = Math.min(this.settings.backoffBaseSeconds * 2 ** (pair.failures - 2), this.settings.backoffMaxSeconds) * 1000;
        until = Math.max(until, pair.lastFailureAt + backoff);
      }
    }
    if (until > now) return { ok: false, retryAfterSeconds: Math.ceil((until - now) / 1000) };
    if (pair) {
      // This address has failed on the account: its attempt takes the account's next slot,
      // or is refused while the slots are taken more than failureDelayMaxSeconds ahead.
      const slot = await this.#takeSlot(keys.account, this.settings.failureDelayMaxSeconds * 1000);
      if (typeof slot !== "number") return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(slot.waitMs / 1000)) };
    }
    return { ok: true };
  }

  /**
   * Counts one failure against the address and, unless null, the (account, address) pair
   * and the account's pace; then ends `attempt`, once the counters are written.
   */
  async recordFailure(accountFolded: string | null, address: string, attempt?: Attempt): Promise<FailureOutcome> {
    try {
      // One count at a time per address: failures of several accounts from one address, checked
      // side by side, would otherwise each read the same count and write it plus one.
      return await this.#counting.run(LoginGuard.keys("", address).address, () => this.#countFailure(accountFolded, address));
    } finally {
      attempt?.end();
    }
  }

  async #countFailure(accountFolded: string | null, address: string): Promise<FailureOutcome> {
    const now = this.now();
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    const lockUntil = now + this.settings.lockoutSeconds * 1000;
    const count = (key: string, lockAt: number): Promise<number> =>
      this.store.countFailure(key, { now, forgetBefore: this.#forgetBefore(now), lockAt, lockUntil });
    const byAddress = await count(keys.address, this.settings.addressLockoutAfter);
    if (this.#turns.holding(keys.address) > 0) this.#addressFailures.set(keys.address, byAddress);
    let locked = byAddress === this.settings.addressLockoutAfter;
    if (accountFolded === null) return { locked, replyDelayMs: 0 };
    const byPair = await count(keys.pair, this.settings.accountAddressLockoutAfter);
    if (byPair === this.settings.accountAddressLockoutAfter) locked = true;
    // An address that had failed on the account took its slot when check() let it try.
    if (byPair > 1) return { locked, replyDelayMs: 0 };
    // Its first failure here: the reply waits for the account's next slot (bounded).
    const slot = await this.#takeSlot(keys.account, null);
    return { locked, replyDelayMs: Math.min(typeof slot === "number" ? slot - now : 0, this.settings.failureDelayMaxSeconds * 1000) };
  }

  /** Failures before this are forgotten (unless their row is locked). */
  #forgetBefore(now: number): number {
    return now - this.settings.forgetAfterSeconds * 1000;
  }

  /**
   * Reserves the account's next slot and returns when it starts, or (when the slot is
   * more than aheadLimitMs away) reserves nothing and says how long until it would not be.
   * Each reservation is one statement, so nodes of a cluster take successive slots too.
   */
  async #takeSlot(key: string, aheadLimitMs: number | null): Promise<number | { waitMs: number }> {
    const now = this.now();
    // Whole milliseconds: the column is an integer.
    const intervalMs = Math.ceil(1000 / this.settings.accountFailuresPerSecond);
    const latestStart = aheadLimitMs === null ? null : now + aheadLimitMs;
    const slot = await this.store.takeSlot(key, { now, forgetBefore: this.#forgetBefore(now), intervalMs, latestStart });
    if (slot !== null) return slot;
    const taken = LoginGuard.#nextSlot((await this.store.get([key])).get(key), now);
    return { waitMs: Math.max(1, taken - (latestStart ?? now)) };
  }

  /**
   * A successful login resets the (account, address) counter. Not the address's (one good
   * login must not unlock an attacker's address) nor the account's pace (an attacker who
   * knows one password must not speed up guessing others).
   */
  async recordSuccess(accountFolded: string, address: string, attempt?: Attempt): Promise<void> {
    try {
      await this.store.clear(LoginGuard.keys(accountFolded, address).pair);
    } finally {
      attempt?.end();
    }
  }
}

/** "1 second", "2 seconds": for the "try again" replies of every door. */
export function secondsText(seconds: number): string {
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}
