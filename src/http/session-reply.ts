import type { Account } from "../core/accounts/ports.js";
import type { HttpContext } from "./context.js";
import type { SessionView, TokenPair } from "./schemas.js";
import { accountView, tokenPair } from "./views.js";

/** A fresh login session for `account`: a new refresh-token family and an access token. */
export async function newTokens(context: HttpContext, account: Account): Promise<TokenPair> {
  const [access, refresh] = await Promise.all([context.tokens.issue(account.id, account.name, account.credentialsVersion), context.sessions.start(account)]);
  return tokenPair(access, refresh);
}

export async function newSession(context: HttpContext, account: Account): Promise<SessionView> {
  return { account: accountView(account), tokens: await newTokens(context, account) };
}
