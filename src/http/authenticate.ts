import type { FastifyReply, FastifyRequest } from "fastify";
import type { Account } from "../core/accounts/ports.js";
import { isStaleToken } from "../auth/tokens.js";
import type { HttpContext } from "./context.js";
import { ProblemError } from "./problems.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The account a valid access token named; set by `authenticate` on routes that need it. */
    account: Account | null;
  }
}

/** RFC 6750 2.1: the scheme, 1*SP, the token (a JWT's characters; a longer b64token is none of ours). */
const BEARER = /^Bearer +([A-Za-z0-9_.-]{1,4096})$/i;
/** The header's scheme is Bearer (case-insensitive, RFC 9110 11.1), whatever follows it. */
const BEARER_SCHEME = /^Bearer(\s|$)/i;

/**
 * The onRequest hook of every route that needs an account: a valid access token
 * whose account still exists and whose password did not change since the token was
 * issued (accountOfToken). It runs before validation, so an anonymous caller
 * learns nothing about a route's parameters. Credentials of another scheme (Basic,
 * which `curl -u` sends and POST /api/v1/upload takes) are no token at all: "send a
 * token", not invalid-token, which says a token was sent and has expired.
 */
export function authenticator(context: HttpContext): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) throw new ProblemError("unauthenticated", "Send an access token: Authorization: Bearer <token>", { "www-authenticate": 'Bearer realm="cmymessage"' });
    if (!isBearerScheme(header)) {
      throw new ProblemError(
        "unauthenticated",
        "This route takes an access token: send Authorization: Bearer <token> (POST /api/v1/auth/login gives one); Basic account:password is taken by POST /api/v1/upload only",
        { "www-authenticate": 'Bearer realm="cmymessage"' },
      );
    }
    const token = bearerToken(header);
    const account = token === null ? null : await accountOfToken(context, token);
    if (!account) throw new ProblemError("invalid-token", "The access token is invalid or expired; refresh it or log in again", { "www-authenticate": 'Bearer realm="cmymessage", error="invalid_token"' });
    request.account = account;
  };
}

/** The authenticated account of a route guarded by `authenticator`. */
export function accountOf(request: FastifyRequest): Account {
  if (!request.account) throw new Error("accountOf() on a route without the authenticator");
  return request.account;
}

/** Whether an `Authorization` header is of the Bearer scheme, well-formed or not. */
export function isBearerScheme(header: string): boolean {
  return BEARER_SCHEME.test(header);
}

/** The token of an `Authorization: Bearer` header; null for another scheme or a malformed one. */
export function bearerToken(header: string | undefined): string | null {
  return header === undefined ? null : (BEARER.exec(header)?.[1] ?? null);
}

/**
 * The account a valid access token names, or null: also when the account no longer exists
 * (a deleted account's tokens die with it, though they are not stored anywhere) or when its
 * password changed since the token was issued (the token's `cv` is older than the account's
 * credentialsVersion): someone who learned the old password keeps no token either.
 */
export async function accountOfToken(context: HttpContext, token: string): Promise<Account | null> {
  const claims = await context.tokens.verify(token);
  const account = claims && (await context.accounts.findById(claims.accountId));
  return account && !isStaleToken(claims, account) ? account : null;
}
