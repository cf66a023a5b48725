/**
 * Whether `text` mentions `name` as a word, case-insensitively (ASCII, as CASEMAPPING=ascii):
 * "alice: hi", "hi @alice!" and "ALICE?" do; "malice" and "alice_bot" do not. Like Ergo and
 * WeeChat, `-`, `_` and `|` count as part of a word, so `alice|away` is another nick.
 */
export function mentions(text: string, name: string): boolean {
  if (name === "") return false;
  const haystack = foldAscii(text);
  const needle = foldAscii(name);
  for (let from = 0; ; ) {
    const at = haystack.indexOf(needle, from);
    if (at === -1) return false;
    if (isBoundary(haystack, at - 1) && isBoundary(haystack, at + needle.length)) return true;
    from = at + 1;
  }
}

function foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** The character at `index` ends a word: the text's edge, or anything but a letter, digit, `-`, `_`, `|`. */
function isBoundary(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return true;
  return !/[\p{L}\p{N}_|-]/u.test(text[index]!);
}
