import type { Account } from "../core/accounts/ports.js";
import type { StoredMessage } from "../core/chat/history.js";
import type { IssuedRefreshToken } from "../core/accounts/refresh-sessions.js";
import type { IssuedAccessToken } from "../auth/tokens.js";
import type { AccountView, MessageView, TokenPair } from "./schemas.js";

/** Domain objects as the API shows them: times as ISO 8601, nothing internal. */
export function accountView(account: Account): AccountView {
  return { id: account.id, name: account.name, email: account.email, createdAt: new Date(account.createdAt).toISOString() };
}

export function tokenPair(access: IssuedAccessToken, refresh: IssuedRefreshToken): TokenPair {
  return {
    tokenType: "Bearer",
    accessToken: access.token,
    accessTokenExpiresAt: new Date(access.expiresAt).toISOString(),
    refreshToken: refresh.token,
    refreshTokenExpiresAt: new Date(refresh.expiresAt).toISOString(),
  };
}

export function messageView(message: StoredMessage): MessageView {
  return {
    msgid: message.msgid,
    time: new Date(message.time).toISOString(),
    kind: message.kind,
    target: message.targetDisplay,
    from: { nick: message.senderNick, account: message.senderAccount },
    text: message.text,
    tags: message.tags ?? {},
  };
}
