import { isValidNick } from "../chat/names.js";

/** The longest nick any configuration allows (irc.nickLength's maximum), so the longest account name there can be. */
export const LONGEST_POSSIBLE_NAME = 64;

/**
 * Whether `name` could be an account's, under any configuration: the nick rules at the
 * longest length a configuration allows. A login door refuses other names before any
 * work (they reveal nothing and keep odd bytes such as NUL from the database), but must
 * not refuse an account made under a longer irc.nickLength than today's: it still logs
 * in by every other door, so it must by this one too.
 */
export function couldBeAccountName(name: string): boolean {
  return isValidNick(name, LONGEST_POSSIBLE_NAME);
}
