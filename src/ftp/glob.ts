import { globMatches } from "../glob-match.js";

/** Whether `part` (one name of a path) holds a wildcard LIST and NLST expand: `*` or `?`. */
export function hasWildcard(part: string): boolean {
  return part.includes("*") || part.includes("?");
}

/**
 * A matcher for the names one folder holds, as LIST and NLST expand `*.txt` (vsftpd, ProFTPD;
 * the classic client's mget sends NLST so): `*` is any run of characters, `?` one, anything
 * else itself; no brackets. A leading dot is matched only by a dot, as in the shell, so `*`
 * leaves hidden files out. Both sides are compared in NFC, as the jail spells names.
 *
 * Not a regular expression: a pattern of many stars would make one backtrack exponentially.
 * Here a mismatch goes back to the last star only, so a name costs at most its length times
 * the pattern's; names are at most 255 bytes, and a pattern needing more characters than the
 * name has is refused before any matching.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  // Runs of stars are one star: the same names, less backtracking.
  const wanted = Array.from(pattern.normalize("NFC").replace(/\*+/g, "*"));
  const needed = wanted.filter((c) => c !== "*").length;
  const dotted = wanted[0] === ".";
  return (name) => {
    const given = Array.from(name.normalize("NFC"));
    if (given.length < needed || (given[0] === "." && !dotted)) return false;
    return globMatches(wanted, given);
  };
}
