import { foldCase } from "./names.js";
import { globMatches } from "../../glob-match.js";

/**
 * The account extban: a list entry `a:<account>` (wildcards allowed) matches users logged
 * in to a matching account, case-insensitively; guests never match it.
 */
export const ACCOUNT_EXTBAN_PREFIX = "a:";

/**
 * Ban, exception and invite-exception masks have the form nick!user@host with
 * `*` and `?` wildcards, matched case-insensitively; an account extban is kept as it is.
 * A missing or empty part stands for any: `@1.2.3.4` is `*!*@1.2.3.4`, `nick!` is
 * `nick!*@*` (as hybrid's and charybdis's pretty_mask). An empty part kept empty matched
 * only an empty nick, user or host, which no user has: the ban looked set and kept nobody out.
 */
export function normalizeMask(mask: string): string {
  const m = mask.trim();
  if (m.startsWith(ACCOUNT_EXTBAN_PREFIX)) return m;
  const { nick, user, host } = maskParts(m);
  return `${nick || "*"}!${user || "*"}@${host || "*"}`;
}

/** The nick, user and host a mask names, split at its first `@` and the first `!` before it; a bare word is a nick. */
function maskParts(mask: string): { nick: string; user: string; host: string } {
  const at = mask.indexOf("@");
  const beforeAt = at === -1 ? mask : mask.slice(0, at);
  const host = at === -1 ? "" : mask.slice(at + 1);
  const bang = beforeAt.indexOf("!");
  if (bang !== -1) return { nick: beforeAt.slice(0, bang), user: beforeAt.slice(bang + 1), host };
  // Without a `!`: `user@host`, or a bare nick.
  return at === -1 ? { nick: beforeAt, user: "", host } : { nick: "", user: beforeAt, host };
}

/**
 * Whether `hostmask` (or any name: a channel for LIST, an account) fits `mask`, where `*`
 * stands for any run of characters and `?` for one, case-insensitively.
 */
export function maskMatches(mask: string, hostmask: string): boolean {
  return globMatches(foldCase(mask), foldCase(hostmask));
}

/** Whether a ban/exception/invite-exception entry matches a user: by account for `a:`, else by hostmask. */
export function entryMatches(mask: string, user: { readonly hostmask: string; readonly account: string | null }): boolean {
  if (mask.startsWith(ACCOUNT_EXTBAN_PREFIX)) return user.account !== null && maskMatches(mask.slice(ACCOUNT_EXTBAN_PREFIX.length), user.account);
  return maskMatches(mask, user.hostmask);
}
