import { limitKey } from "../../net/address.js";
import type { LoginFailure, LoginFailureStore } from "./ports.js";
import { SerialQueues } from "../../serial-queues.js";
import { AttemptTurns } from "./attempt-turns.js";

/**
 * Longest an admitted attempt holds its turn without ending (a SASL exchange abandoned
 * between its steps): after this, the next attempt on the same key goes ahead.
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
 * Attempts take turns (AttemptTurns), from admit() until recordFailure(), recordSuccess()
 * or endAttempt(): one at a time per (account, address), and per address as many as its
 * lockout leaves room for, counting those under way as failures to come. Without that,
 * guesses sent side by side (pipelined HTTP requests, parallel connections) were all
 * admitted on counters that none of them had yet raised, past the back-off, the lockouts
 * and the account's pace. Turns are per process: nodes of a cluster may each run one.
 */
export class LoginGuard {
  /** The account rows being paced, so concurrent failures on one account take successive slots (per process). */
  readonly #pacing = new SerialQueues<string>();
  readonly #turns = new AttemptTurns(ATTEMPT_TURN_HOLD_MS);
  /** The failure count this process last wrote per address with attempts under way (entries go with their turns). */
  readonly #addressFailuresSeen = new Map<string, number>();

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
   * May this attempt go ahead? Checked before any password is verified. A null
   * account checks the address alone (registration, which names no existing account).
   * The attempt takes its turns first (see the class comment), held until
   * recordFailure(), recordSuccess() or endAttempt().
   */
  async admit(accountFolded: string | null, address: string): Promise<GuardVerdict> {
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    // The pair's turn first, then the address's: a holder of an address turn waits for nothing more.
    if (accountFolded !== null) await this.#turns.acquire(keys.pair, 1);
    await this.#turns.acquire(keys.address, Number.POSITIVE_INFINITY);
    try {
      await this.#awaitAddressRoom(keys.address);
      const verdict = await this.check(accountFolded, address);
      if (!verdict.ok) this.#endTurns(accountFolded, keys);
      return verdict;
    } catch (error) {
      this.#endTurns(accountFolded, keys);
      throw error;
    }
  }

  /**
   * Ends an attempt admitted by admit() that recorded neither a failure nor a success
   * (a registration that went through, a check that failed half way).
   */
  endAttempt(accountFolded: string | null, address: string): void {
    this.#endTurns(accountFolded, LoginGuard.keys(accountFolded ?? "", address));
  }

  /**
   * The address's other attempts under way count as failures to come: while they and the
   * failures recorded would reach its lockout, this one waits for some of them to end. A
   * burst from one address then gets no more guesses checked than the lockout allows, and
   * a burst of good logins (many people behind one NAT) just goes on a few at a time.
   */
  async #awaitAddressRoom(addressKey: string): Promise<void> {
    for (;;) {
      const others = this.#turns.holding(addressKey) - 1;
      // Alone: what an earlier, abandoned attempt left here is stale.
      if (others === 0) this.#addressFailuresSeen.delete(addressKey);
      // Room enough whatever the count, as far as this process has seen it: no read (a burst
      // of good logins from one address, the common case, costs no query per login here).
      if (others < this.settings.addressLockoutAfter - (this.#addressFailuresSeen.get(addressKey) ?? 0)) return;
      const recorded = this.#fresh((await this.store.get([addressKey])).get(addressKey), this.now())?.failures ?? 0;
      const room = this.settings.addressLockoutAfter - recorded;
      // No room left: the verdict refuses (or, once a lockout has passed, judges as it would alone).
      if (room <= 0 || others < room) return;
      // Until fewer than `room` others remain (this attempt holds a turn too), then look again.
      await this.#turns.fewerThan(addressKey, room + 1);
    }
  }

  #endTurns(accountFolded: string | null, keys: { address: string; pair: string }): void {
    this.#turns.release(keys.address);
    if (this.#turns.holding(keys.address) === 0) this.#addressFailuresSeen.delete(keys.address);
    if (accountFolded !== null) this.#turns.release(keys.pair);
  }

  /** The verdict on the counters as they are, without taking turns (admit() takes them first). */
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
   * and the account's pace; ends the attempt's turn once the counters are written.
   */
  async recordFailure(accountFolded: string | null, address: string): Promise<FailureOutcome> {
    const keys = LoginGuard.keys(accountFolded ?? "", address);
    try {
      return await this.#countFailure(accountFolded, keys);
    } finally {
      this.#endTurns(accountFolded, keys);
    }
  }

  async #countFailure(accountFolded: string | null, keys: { account: string; address: string; pair: string }): Promise<FailureOutcome> {
    const now = this.now();
    const failures = await this.store.get(accountFolded === null ? [keys.address] : [keys.address, keys.pair]);
    const firstHere = this.#fresh(failures.get(keys.pair), now) === undefined;
    let locked = false;
    const counters: Array<readonly [string, number]> = [[keys.address, this.settings.addressLockoutAfter]];
    if (accountFolded !== null) counters.push([keys.pair, this.settings.accountAddressLockoutAfter]);
    for (const [key, threshold] of counters) {
      const count = (this.#fresh(failures.get(key), now)?.failures ?? 0) + 1;
      const lockedUntil = count >= threshold ? now + this.settings.lockoutSeconds * 1000 : null;
      if (lockedUntil !== null && count === threshold) locked = true;
      await this.store.put(key, { failures: count, lastFailureAt: now, lockedUntil });
      if (key === keys.address && this.#turns.holding(key) > 0) this.#addressFailuresSeen.set(key, count);
    }
    // An address that had failed on the account took its slot when check() let it try.
    if (accountFolded === null || !firstHere) return { locked, replyDelayMs: 0 };
    // Its first failure here: the reply waits for the account's next slot (bounded).
    const slot = await this.#takeSlot(keys.account, null);
    return { locked, replyDelayMs: Math.min(typeof slot === "number" ? slot - now : 0, this.settings.failureDelayMaxSeconds * 1000) };
  }

  /**
   * Reserves the account's next slot and returns when it starts, or (when the slot is
   * more than aheadLimitMs away) reserves nothing and says how long until it would not be.
   * One reservation at a time per account in this process; nodes of a cluster may race.
   */
  async #takeSlot(key: string, aheadLimitMs: number | null): Promise<number | { waitMs: number }> {
    return this.#pacing.run(key, async () => {
      const now = this.now();
      const account = (await this.store.get([key])).get(key);
      const slot = LoginGuard.#nextSlot(account, now);
      if (aheadLimitMs !== null && slot - now > aheadLimitMs) return { waitMs: slot - now - aheadLimitMs };
      const count = (this.#fresh(account, now)?.failures ?? 0) + 1;
      await this.store.put(key, { failures: count, lastFailureAt: now, lockedUntil: slot + 1000 / this.settings.accountFailuresPerSecond });
      return slot;
    });
  }

  /**
   * A successful login resets the (account, address) counter. Not the address's (one good
   * login must not unlock an attacker's address) nor the account's pace (an attacker who
   * knows one password must not speed up guessing others).
   */
  async recordSuccess(accountFolded: string, address: string): Promise<void> {
    const keys = LoginGuard.keys(accountFolded, address);
    try {
      await this.store.clear(keys.pair);
    } finally {
      this.#endTurns(accountFolded, keys);
    }
  }
}

/** "1 second", "2 seconds": for the "try again" replies of every door. */
export function secondsText(seconds: number): string {
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}
