/**
 * Glob matching in time proportional to the pattern times the subject at worst: on a
 * mismatch it only goes back to just after the last `*`, since an earlier star can never
 * do better than the last one. A backtracking regular expression (`.*` per star) took
 * exponential time in the stars: one `WHO *a*a*a*a*a*a*a*a*b` against a long realname
 * held the event loop, and so every client, for half a minute (as Ergo with RE2 and
 * InspIRCd's iterative matcher, never). `*` is any run, `?` one element: strings compare
 * UTF-16 units (IRC masks), arrays of code points compare characters (FTP names).
 */
export function globMatches(pattern: ArrayLike<string>, subject: ArrayLike<string>): boolean {
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
