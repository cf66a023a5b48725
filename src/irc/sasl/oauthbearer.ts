import type { AccountService } from "../../core/accounts/account-service.js";
import { foldCase } from "../../core/chat/names.js";
import { isStaleToken } from "../../auth/tokens.js";
import type { SaslExchange, SaslStep } from "./exchange.js";

/** Checks an access token of the HTTP API (auth/tokens.ts AccessTokens fits). */
export interface BearerTokens {
  /**
   * The token's account id and the account's credentialsVersion it was issued under, when it
   * is valid (signature, issuer, audience, times), else null.
   */
  verify(token: string): Promise<{ readonly accountId: number; readonly credentialsVersion: number } | null>;
}

/** The service name in logs and the login metrics (see LoginListener). */
const DOOR = "irc-sasl-oauthbearer";

/** RFC 6750 b64token, as the HTTP API's Authorization header takes it (authenticate.ts). */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]{1,4096}=*$/;
/** RFC 7628 kvpair: key = 1*ALPHA, value = *(VCHAR / SP / HTAB / CR / LF). */
const KVPAIR = /^([A-Za-z]+)=([\x21-\x7e \t\r\n]*)$/;
/** RFC 5801 GS2 header: channel-binding flag (we offer none: `n`, or `y` from a client that could), optional `a=authzid`. */
const GS2_HEADER = /^([ny]),(?:a=([^,]*))?,/;

/** RFC 5801 saslname: `=2C` and `=3D` stand for `,` and `=`; any other `=` is malformed. */
function saslName(text: string): string | null {
  if (/=(?!2C|3D)/.test(text)) return null;
  return text.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

type Parsed = { readonly token: string; readonly authzid: string } | { readonly malformed: string };

/** `gs2-header %x01 *(key=value %x01) %x01`, with exactly one `auth=Bearer <token>`. */
export function parseOauthBearer(message: string): Parsed {
  const header = GS2_HEADER.exec(message);
  if (!header) return { malformed: "Malformed OAUTHBEARER message (channel binding is not supported)" };
  const authzid = header[2] === undefined ? "" : saslName(header[2]);
  if (authzid === null) return { malformed: "Malformed authorization identity" };
  const rest = message.slice(header[0].length);
  if (rest.length < 2 || !rest.startsWith("\x01") || !rest.endsWith("\x01\x01")) return { malformed: "Malformed OAUTHBEARER message" };
  let auth: string | null = null;
  const body = rest.slice(1, -2);
  for (const pair of body === "" ? [] : body.split("\x01")) {
    const match = KVPAIR.exec(pair);
    if (!match) return { malformed: "Malformed OAUTHBEARER key/value pair" };
    // Other keys (host, port) say where the client thinks it is; the token alone decides.
    if (match[1] !== "auth") continue;
    if (auth !== null) return { malformed: "More than one auth value" };
    auth = match[2]!;
  }
  if (auth === null) return { malformed: "No auth value" };
  const bearer = /^Bearer +(\S+)$/i.exec(auth);
  if (!bearer || !B64TOKEN.test(bearer[1]!)) return { malformed: "The auth value must be Bearer <access token>" };
  return { token: bearer[1]!, authzid };
}

/**
 * SASL OAUTHBEARER (RFC 7628) with an access token of the HTTP API: one step. A web
 * client that logged in over HTTP joins IRC with its token instead of the password.
 *
 * A refused token ends the exchange with 904 at once, without RFC 7628's error
 * challenge and its dummy response: IRC's numerics already say it failed. Refusals
 * are not counted by the brute-force guard: the tokens are signed, not guessable,
 * and a client whose token expired is not an attacker (the login metrics count them as failed).
 * A token issued before the account's password last changed is refused like an expired one.
 */
export function oauthbearerExchange(accounts: AccountService, tokens: BearerTokens, address: string): SaslExchange {
  /** Counted as a failed login for metrics (and logged), never by the guard. */
  const refused = (reason: string): SaslStep => {
    accounts.recordRefusal(address, DOOR, reason);
    return { kind: "failure", reason };
  };
  return {
    mechanism: "OAUTHBEARER",
    buffer: [],
    bufferedBytes: 0,
    async step(response: Buffer): Promise<SaslStep> {
      const parsed = parseOauthBearer(response.toString("utf8"));
      if ("malformed" in parsed) return refused(parsed.malformed);
      const claims = await tokens.verify(parsed.token);
      // A deleted account's tokens die with it, though they are not stored anywhere; so do
      // those issued before its password changed (else the session would be recorded under
      // the new credentialsVersion, and no stale-session check would ever end it).
      const account = claims && (await accounts.findById(claims.accountId));
      if (!account || isStaleToken(claims, account)) return refused("Invalid or expired access token");
      // As with PLAIN and SCRAM, nobody may act for another account.
      if (parsed.authzid !== "" && foldCase(parsed.authzid) !== foldCase(account.name)) return refused("Authorization identity must be empty or the token's account");
      await accounts.recordLogin(account, address, DOOR);
      return { kind: "success", account };
    },
  };
}
