import { createHash, randomBytes as randomBytesCallback, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import type { Logger } from "pino";
import type { Account, RefreshTokenStore } from "./ports.js";

const randomBytes = promisify(randomBytesCallback);

export interface RefreshSettings {
  /** How long a refresh token lives; every rotation starts the period again. */
  readonly refreshTokenDays: number;
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
 * Only SHA-256 hashes are stored: a leaked database holds no usable token (the
 * tokens are 256 random bits, so a fast hash is enough; no salt or stretching needed).
 */
export class RefreshSessions {
  constructor(
    private readonly store: RefreshTokenStore,
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
    const claim = await this.store.rotate(hashToken(token), successor, now);
    if (claim.status === "dead") return { ok: false, reason: "invalid" };
    if (claim.status === "reused") {
      const revoked = await this.store.revokeFamily(claim.family, now);
      this.log.warn({ accountId: claim.accountId, family: claim.family, address, revoked }, "refresh token reused: its whole family is revoked");
      return { ok: false, reason: "reused" };
    }
    const account = await this.accounts.findById(claim.accountId);
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

  /** Ends every session of an account (its password changed). */
  async revokeAll(account: Account, why: string): Promise<void> {
    const revoked = await this.store.revokeAccount(account.id, this.now());
    if (revoked > 0) this.log.info({ account: account.name, revoked, why }, "refresh tokens revoked");
  }

  /** Forgets tokens past their expiry; they would be refused anyway. */
  prune(): Promise<number> {
    return this.store.deleteExpired(this.now());
  }
}
