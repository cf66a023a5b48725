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
  /**
   * The account's credentialsVersion when the token was issued (claim `cv`; 0 for a token
   * without it, issued before the claim existed). A token whose version is older than the
   * account's present one was issued before a password change and is refused (isStaleToken).
   */
  readonly credentialsVersion: number;
  readonly expiresAt: number;
}

/** The claim that carries the account's credentialsVersion. */
export const CREDENTIALS_VERSION_CLAIM = "cv";

/**
 * Whether a token with these claims was issued before the account's password last changed
 * (its `cv` older than the account's credentialsVersion): every door that takes an access
 * token refuses it then, so someone who learned the old password keeps no token either.
 */
export function isStaleToken(claims: Pick<AccessTokenClaims, "credentialsVersion">, account: { readonly credentialsVersion: number }): boolean {
  return claims.credentialsVersion < account.credentialsVersion;
}

export interface IssuedAccessToken {
  readonly token: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Short-lived JWT access tokens (EdDSA over Ed25519). They are not stored and
 * cannot be revoked one by one, which is why they live minutes; refresh tokens carry
 * the session and are revocable. Each names the account's credentialsVersion (`cv`),
 * so a password change refuses every token issued before it (see isStaleToken).
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

  /**
   * `credentialsVersion`: the account's, as read with it (Account.credentialsVersion). Every
   * door that issues tokens for an account must pass it: a token of an older version than
   * the account's is refused, and 0 is only right for an account whose password never changed.
   */
  async issue(accountId: number, accountName: string, credentialsVersion = 0): Promise<IssuedAccessToken> {
    const issuedAt = Math.floor(this.now() / 1000);
    const expires = issuedAt + this.settings.lifetimeMinutes * 60;
    const token = await new SignJWT({ name: accountName, [CREDENTIALS_VERSION_CLAIM]: credentialsVersion })
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
   * far `exp` is refused at once, whoever signed it), or a malformed one (a `cv` that is
   * not a whole number from 0; a token without `cv` counts as version 0). Callers need
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
      // Tokens issued before the claim existed have none: version 0, refused once the password changed.
      const credentialsVersion = payload[CREDENTIALS_VERSION_CLAIM] ?? 0;
      if (typeof credentialsVersion !== "number" || !Number.isSafeInteger(credentialsVersion) || credentialsVersion < 0) return null;
      return { accountId, accountName: payload["name"], credentialsVersion, expiresAt: payload.exp! * 1000 };
    } catch {
      return null;
    }
  }
}
