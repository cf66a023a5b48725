/**
 * Names in the chat domain: nick and channel validity and case folding.
 * CASEMAPPING is "ascii": only A-Z fold to a-z. It is what modern servers
 * advertise and what every client implements correctly.
 */
export function foldCase(name: string): string {
  // Fast path: most names are already lower case.
  // A run of ASCII capitals lowers as toLowerCase lowers it; other letters are left as they are.
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : name;
}

// First character: a letter or one of the RFC 2812 "special" characters; no digit or '-'.
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

export function isValidNick(nick: string, maxLength: number): boolean {
  return nick.length > 0 && nick.length <= maxLength && NICK.test(nick);
}

/**
 * Characters that show as nothing. Control and format characters (Unicode Cc and Cf): C0 and C1 controls, IRC formatting
 * codes, zero-width characters and bidirectional overrides. Unseen or reordering the
 * name on screen, they let `#gen\u200Beral` or `#\u202Elareneg` pass for `#general`,
 * and whoever creates such a channel is its operator.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
// Default_Ignorable_Code_Point adds the rest of what renders as nothing: Hangul fillers
// (U+115F, U+1160, U+3164, U+FFA0), variation selectors, the combining grapheme joiner;
// U+2800 (braille blank) is a visible-width blank that is not one.

/** Letters of the scripts whose letters join (cursive): there a ZWNJ shows, as a break in the joining. */
const JOINING_LETTER = String.raw`[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Phags_Pa}]`;

/**
 * The invisible characters some spellings need, where they are needed (after RFC 5892's
 * CONTEXTJ rules and Unicode's emoji sequences), so a name keeps them and stays valid:
 * a variation selector 15/16 after a pictograph (`#❤️`); a ZWJ joining pictographs
 * (`#👨‍💻`, `#❤️‍🔥`); a ZWJ or ZWNJ after a script's own combining mark (a virama:
 * Devanagari `#क्‍ष`), or a ZWNJ between letters of a joining script (Persian `#می‌خواهم`).
 * Between Latin letters, or after '#', they stay refused: `#gen\u200Deral` is `#general` on screen.
 * All are judged against the name as written (one pass).
 */
const NEEDED_INVISIBLE = new RegExp(
  [
    String.raw`(?<=\p{Extended_Pictographic})[\uFE0E\uFE0F]`,
    String.raw`(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})`,
    String.raw`(?<=\p{Mn})(?<!\p{Script=Inherited})[\u200C\u200D](?=[\p{L}\p{M}])`,
    String.raw`(?<=${JOINING_LETTER})\u200C(?=${JOINING_LETTER})`,
  ].join("|"),
  "gu",
);

/** A combining mark right after '#' would draw on the '#' itself. */
const MARK_FIRST = /^#\p{M}/u;

/** `maxLength` is in UTF-8 bytes, as CHANNELLEN (like every *LEN) is: 63 "é" are 127 bytes, not 64 characters. */
export function isValidChannelName(name: string, maxLength: number): boolean {
  if (name.length < 2 || name[0] !== "#") return false;
  // Cheap first: a UTF-16 unit is at most 3 bytes of UTF-8.
  if (name.length * 3 > maxLength && Buffer.byteLength(name) > maxLength) return false;
  // Space, comma split or confuse targets; ':' would break parameter parsing in clients.
  if (/[\s,:]/.test(name) || MARK_FIRST.test(name)) return false;
  if (INVISIBLE.test(name) && INVISIBLE.test(name.replace(NEEDED_INVISIBLE, ""))) return false;
  // One spelling per name: "#café" written with a combining accent would be a second channel
  // that looks the same as the precomposed one (clients send NFC; macOS file names are NFD).
  return name.normalize("NFC") === name;
}

/** A username (ident) as sent in USER: letters, digits and a few safe marks only. */
export function sanitizeUsername(raw: string, maxLength: number): string {
  // The leading "~" says no ident lookup vouched for it; the whole stays within USERLEN.
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, "");
  return `~${cleaned || "user"}`.slice(0, Math.max(2, maxLength));
}
