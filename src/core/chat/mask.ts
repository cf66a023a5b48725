import { foldCase } from "./names.js";

/**
 * The account extban: a list entry `a:<account>` (wildcards allowed) matches users logged
 * in to a matching account, case-insensitively; guests never match it.
 */
export const ACCOUNT_EXTBAN_PREFIX = "a:";

/**
 * Ban, exception and invite-exception masks have the form nick!user@host with
 * `*` and `?` wildcards, matched case-insensitively; an account extban is kept as it is.
 */
export function normalizeMask(mask: string): string {
  let m = mask.trim();
  if (m.startsWith(ACCOUNT_EXTBAN_PREFIX)) return m;
  if (!m.includes("!") && !m.includes("@")) m = `${m}!*@*`;
  else if (!m.includes("!")) m = `*!${m}`;
  else if (!m.includes("@")) m = `${m}@*`;
  return m;
}

const compiled = new Map<string, RegExp>();

export function maskMatches(mask: string, hostmask: string): boolean {
  let pattern = compiled.get(mask);
  if (!pattern) {
    const body = foldCase(mask)
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    pattern = new RegExp(`^${body}$`, "s");
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(mask, pattern);
  }
  return pattern.test(foldCase(hostmask));
}

/** Whether a ban/exception/invite-exception entry matches a user: by account for `a:`, else by hostmask. */
export function entryMatches(mask: string, user: { readonly hostmask: string; readonly account: string | null }): boolean {
  if (mask.startsWith(ACCOUNT_EXTBAN_PREFIX)) return user.account !== null && maskMatches(mask.slice(ACCOUNT_EXTBAN_PREFIX.length), user.account);
  return maskMatches(mask, user.hostmask);
}
