import { foldCase } from "./names.js";

/**
 * Ban, exception and invite-exception masks have the form nick!user@host with
 * `*` and `?` wildcards, matched case-insensitively.
 */
export function normalizeMask(mask: string): string {
  let m = mask.trim();
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
