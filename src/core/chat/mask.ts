import { foldCase } from "./names.js";

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

/**
 * Glob matching in time proportional to the pattern times the subject at worst: on a
 * mismatch it only goes back to just after the last `*`, since an earlier star can never
 * do better than the last one. A backtracking regular expression (`.*` per star) took
 * exponential time in the stars: one `WHO *a*a*a*a*a*a*a*a*b` against a long realname
 * held the event loop, and so every client, for half a minute (as Ergo with RE2 and
 * InspIRCd's iterative matcher, never).
 */
export function globMatches(pattern: string, subject: string): boolean {
  let p = 0;
  let s = 0;
  let star = -1;
  let resume = 0;
  while (s < subject.length) {
    const c = pattern[p];
    if (c === "*") {
      star = p++;
      resume = s;
    } else if (c !== undefined && (c === "?" || c === subject[s])) {
      p++;
      s++;
    } else if (star !== -1) {
      p = star + 1;
      s = ++resume;
    } else return false;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Whether a ban/exception/invite-exception entry matches a user: by account for `a:`, else by hostmask. */
export function entryMatches(mask: string, user: { readonly hostmask: string; readonly account: string | null }): boolean {
  if (mask.startsWith(ACCOUNT_EXTBAN_PREFIX)) return user.account !== null && maskMatches(mask.slice(ACCOUNT_EXTBAN_PREFIX.length), user.account);
  return maskMatches(mask, user.hostmask);
}
