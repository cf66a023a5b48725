import { createHash, randomBytes as randomBytesCallback, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { Logger } from "pino";
import type { Account, RefreshTokenStore } from "./ports.js";

const randomBytes = promisify(randomBytesCallback);

export interface RefreshSettings {
  /** How long a refresh token lives; every rotation starts the period again. */
  readonly refreshTokenDays: number;
  /** How long after its rotation the token just replaced may be presented again (0 = never). */
  readonly refreshReuseGraceSeconds: number;
}

/** What the reuse grace period needs of the store, besides RefreshTokenStore. */
export interface RefreshReissueStore {
  /**
   * Exchanges `tokenHash` again, atomically, when it was rotated after `rotatedAfter`,
   * is not revoked and the token it was exchanged for is still unused: that successor is
   * retired (marked rotated, with no successor of its own, so presenting it later is a
   * reuse) and `successor` stored in its place. Undefined, changing nothing, otherwise.
   */
  reissue(
    tokenHash: string,
    successor: { readonly tokenHash: string; readonly expiresAt: number },
    now: number,
    rotatedAfter: number,
  ): Promise<{ readonly accountId: number; readonly family: string } | undefined>;
}

export interface IssuedRefreshToken {
  readonly token: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export type RefreshResult = { ok: true; account: Account; refresh: IssuedRefreshToken } | { ok: false; reason: "invalid" | "reused" };

/** 32 random bytes in base64url, without padding. Anything else is refused before it reaches the store. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Login sessions as families of refresh tokens. A login starts a family; each use
 * of a token replaces it with a new one of the same family. A token used a second
 * time means two parties hold it — a thief and the owner — and we cannot tell which
 * is which, so the whole family is revoked and both must log in again.
 *
 * Except just after its rotation: a reply lost on its way (a tab closed mid-refresh,
 * a dropped mobile connection) leaves the owner holding the replaced token and retrying
 * with it. Within `refreshReuseGraceSeconds` of the rotation, and while the successor
 * it never received is unused, the replaced token is exchanged again and that successor
 * retired (the reuse interval of Auth0, the grace period of Okta). Unlike Auth0, each
 * such reuse leaves the family one live token, never two: a thief replaying a token
 * within the window gets a pair but retires the owner's, and the owner's next refresh
 * is then the reuse that revokes the family, the thief's tokens with it.
 *
 * Only SHA-256 hashes are stored: a leaked database holds no usable token (the
 * tokens are 256 random bits, so a fast hash is enough; no salt or stretching needed).
 */
export class RefreshSessions {
  readonly #allRevoked: Array<(account: Account, why: string) => Promise<void> | void> = [];

  constructor(
    private readonly store: RefreshTokenStore & RefreshReissueStore,
    private readonly accounts: { findById(id: number): Promise<Account | undefined> },
    private settings: RefreshSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  update(settings: RefreshSettings): void {
    this.settings = settings;
  }

  async #newToken(): Promise<{ token: string; tokenHash: string; expiresAt: number }> {
    const token = (await randomBytes(32)).toString("base64url");
    return { token, tokenHash: hashToken(token), expiresAt: this.now() + this.settings.refreshTokenDays * 86_400_000 };
  }

  /** Starts a new family for `account` (after a login or a registration). */
  async start(account: Account): Promise<IssuedRefreshToken> {
    const fresh = await this.#newToken();
    await this.store.insert({ accountId: account.id, family: randomUUID(), tokenHash: fresh.tokenHash, createdAt: this.now(), expiresAt: fresh.expiresAt });
    return { token: fresh.token, expiresAt: fresh.expiresAt };
  }

  /** Exchanges a live token for its successor. */
  async refresh(token: string, address: string): Promise<RefreshResult> {
    if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: "invalid" };
    const successor = await this.#newToken();
    const now = this.now();
    const tokenHash = hashToken(token);
    const claim = await this.store.rotate(tokenHash, successor, now);
    if (claim.status === "dead") return { ok: false, reason: "invalid" };
    if (claim.status === "reused") {
      const again = await this.#reissue(tokenHash, successor, now);
      if (again) {
        this.log.info({ accountId: again.accountId, family: again.family, address }, "refresh token presented again within the reuse grace period: exchanged again");
        return this.#issued(again.accountId, successor);
      }
      const revoked = await this.store.revokeFamily(claim.family, now);
      this.log.warn({ accountId: claim.accountId, family: claim.family, address, revoked }, "refresh token reused: its whole family is revoked");
      return { ok: false, reason: "reused" };
    }
    return this.#issued(claim.accountId, successor);
  }

  #reissue(tokenHash: string, successor: { tokenHash: string; expiresAt: number }, now: number): Promise<{ accountId: number; family: string } | undefined> {
    const graceMs = this.settings.refreshReuseGraceSeconds * 1000;
    if (graceMs <= 0) return Promise.resolve(undefined);
    return this.store.reissue(tokenHash, successor, now, now - graceMs);
  }

  async #issued(accountId: number, successor: { token: string; expiresAt: number }): Promise<RefreshResult> {
    const account = await this.accounts.findById(accountId);
    if (!account) return { ok: false, reason: "invalid" };
    return { ok: true, account, refresh: { token: successor.token, expiresAt: successor.expiresAt } };
  }

  /** Logout: revokes the family of `token`, whatever state the token is in. Unknown tokens change nothing. */
  async end(token: string): Promise<boolean> {
    if (!TOKEN_SHAPE.test(token)) return false;
    const owner = await this.store.familyOf(hashToken(token));
    if (!owner) return false;
    await this.store.revokeFamily(owner.family, this.now());
    return true;
  }

  /** Ends every session of an account (its password changed, or it signed out everywhere), and what ends with them (onAllRevoked). */
  async revokeAll(account: Account, why: string): Promise<void> {
    const revoked = await this.store.revokeAccount(account.id, this.now());
    if (revoked > 0) this.log.info({ account: account.name, revoked, why }, "refresh tokens revoked");
    for (const listener of this.#allRevoked) await listener(account, why);
  }

  /**
   * Registers what else must end with all of an account's sessions (its push subscriptions:
   * see domain.ts), whichever door ended them: a password change or DELETE /api/v1/me/sessions.
   * A listener that fails is reported to the caller of revokeAll.
   */
  onAllRevoked(listener: (account: Account, why: string) => Promise<void> | void): void {
    this.#allRevoked.push(listener);
  }

  /** Forgets tokens past their expiry; they would be refused anyway. */
  prune(): Promise<number> {
    return this.store.deleteExpired(this.now());
  }
}
