import { SignJWT, jwtVerify } from "jose";
import type { TokenKey } from "./token-key.js";

/** Every token names this audience; a token minted for something else is never accepted here. */
export const TOKEN_AUDIENCE = "cmymessage";
/** The only algorithm signed and accepted. Pinned: the token's own header never chooses. */
export const TOKEN_ALGORITHM = "EdDSA";

export interface AccessTokenSettings {
  /** The issuer (`iss`): the server name. */
  readonly issuer: string;
  readonly lifetimeMinutes: number;
  /** Clock skew tolerated on exp and nbf between nodes, in seconds. */
  readonly clockToleranceSeconds?: number;
}

/** The clock skew tolerated when `clockToleranceSeconds` is not given. */
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessTokenClaims {
  readonly accountId: number;
  readonly accountName: string;
  readonly expiresAt: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Short-lived JWT access tokens (EdDSA over Ed25519). They are not stored and
 * cannot be revoked, which is why they live minutes; refresh tokens carry the
 * session and are revocable.
 */
export class AccessTokens {
  constructor(
    private readonly key: TokenKey,
    private settings: AccessTokenSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new lifetime applies to tokens issued from now; a new issuer refuses tokens of the old one. */
  update(settings: AccessTokenSettings): void {
    this.settings = settings;
  }

  async issue(accountId: number, accountName: string): Promise<IssuedAccessToken> {
    const issuedAt = Math.floor(this.now() / 1000);
    const expires = issuedAt + this.settings.lifetimeMinutes * 60;
    const token = await new SignJWT({ name: accountName })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: "JWT" })
      .setSubject(String(accountId))
      .setIssuer(this.settings.issuer)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(expires)
      .sign(this.key.privateKey);
    return { token, expiresAt: expires * 1000 };
  }

  /**
   * The claims of a valid token, or null for anything else: a bad signature, another
   * algorithm (`none`, HS256 keyed with our public key, ...), another issuer or
   * audience, an expired or not-yet-valid token, a token that claims to live longer
   * than this server issues them for (the lifetime plus the clock skew: a token with a
   * far `exp` is refused at once, whoever signed it), or a malformed one. Callers need
   * no reason: every refusal looks the same from outside.
   */
  async verify(token: string): Promise<AccessTokenClaims | null> {
    const tolerance = this.settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    // Nothing this server signs lives longer than the configured lifetime; allow the skew once.
    const maxLifetimeSeconds = this.settings.lifetimeMinutes * 60 + tolerance;
    try {
      const { payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: this.settings.issuer,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ["sub", "exp", "nbf", "iat"],
        clockTolerance: tolerance,
        // iat no older than the lifetime (jose refuses an iat in the future beyond the tolerance too).
        maxTokenAge: maxLifetimeSeconds,
        currentDate: new Date(this.now()),
      });
      // exp no further away than the lifetime, and no further from iat: a far exp is refused at once.
      const nowSeconds = this.now() / 1000;
      if (payload.exp! - nowSeconds > maxLifetimeSeconds || payload.exp! - payload.iat! > maxLifetimeSeconds) return null;
      const accountId = Number(payload.sub);
      if (!Number.isSafeInteger(accountId) || accountId <= 0 || typeof payload["name"] !== "string") return null;
      return { accountId, accountName: payload["name"], expiresAt: payload.exp! * 1000 };
    } catch {
      return null;
    }
  }
}
