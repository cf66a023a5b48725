import { foldCase } from "../chat/names.js";

/**
 * Whether `text` mentions `name` as a word, case-insensitively (ASCII, as CASEMAPPING=ascii):
 * "alice: hi", "hi @alice!" and "ALICE?" do; "malice" and "alice_bot" do not. Like Ergo and
 * WeeChat, `-`, `_` and `|` count as part of a word, so `alice|away` is another nick.
 */
export function mentions(text: string, name: string): boolean {
  return mentionsFolded(foldCase(text), foldCase(name));
}

/**
 * `mentions` for a text and a name already folded (foldCase): a channel message is
 * checked against every member's nick and account, and folding its text once instead of
 * twice per member was most of that work (~9 µs a message in a room of 10).
 */
export function mentionsFolded(text: string, name: string): boolean {
  if (name === "") return false;
  for (let from = 0; ; ) {
    const at = text.indexOf(name, from);
    if (at === -1) return false;
    if (isBoundary(text, at - 1) && isBoundary(text, at + name.length)) return true;
    from = at + 1;
  }
}

/** The character at `index` ends a word: the text's edge, or anything but a letter, digit, `-`, `_`, `|`. */
function isBoundary(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return true;
  return !/[\p{L}\p{N}_|-]/u.test(text[index]!);
}
