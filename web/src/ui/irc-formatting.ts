/**
 * IRC formatting codes (https://modern.ircdocs.horse/formatting): control characters in
 * a message that switch bold, italics, colours… on and off. IRC clients send them; shown
 * as they are they would be invisible or boxes, so the text is split into runs of one style.
 */

/**
 * The 16 colours every IRC client agrees on (mIRC's 0-15). The others (16-98, hex colours)
 * show in the default colour, as 99 ("the default colour") does.
 */
const IRC_COLOURS = 16;

export interface TextStyle {
  readonly bold: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly strikethrough: boolean;
  readonly monospace: boolean;
  /** Foreground and background swapped. */
  readonly reverse: boolean;
  /** A colour 0-15, or null for the default colour. */
  readonly foreground: number | null;
  readonly background: number | null;
}

export interface StyledRun {
  readonly text: string;
  readonly style: TextStyle;
}

type Toggle = "bold" | "italic" | "underline" | "strikethrough" | "monospace" | "reverse";

export const PLAIN: TextStyle = { bold: false, italic: false, underline: false, strikethrough: false, monospace: false, reverse: false, foreground: null, background: null };

const TOGGLES: Readonly<Record<string, Toggle>> = {
  "\x02": "bold",
  "\x1d": "italic",
  "\x1f": "underline",
  "\x1e": "strikethrough",
  "\x11": "monospace",
  "\x16": "reverse",
};
const RESET = "\x0f";
/** Any code, colour parameters included: a comma not followed by a colour is text. */
const CODE = /[\x02\x1d\x1f\x1e\x11\x16\x0f]|\x03(?:(\d{1,2})(?:,(\d{1,2}))?)?|\x04(?:([0-9a-f]{6})(?:,([0-9a-f]{6}))?)?/gi;

function colourOf(digits: string): number | null {
  const colour = Number(digits);
  return colour < IRC_COLOURS ? colour : null;
}

/** The style after one code (`match` is a match of CODE). */
function styleAfter(style: TextStyle, match: RegExpMatchArray): TextStyle {
  const [code, foreground, background, hexForeground, hexBackground] = match;
  const toggle = TOGGLES[code];
  if (toggle) return { ...style, [toggle]: !style[toggle] };
  if (code === RESET) return PLAIN;
  if (code.startsWith("\x03")) return withColours(style, foreground, background, colourOf);
  // Hex colours are not shown, but they do end the colour before them.
  return withColours(style, hexForeground, hexBackground, () => null);
}

function withColours(style: TextStyle, foreground: string | undefined, background: string | undefined, colour: (code: string) => number | null): TextStyle {
  // A bare colour code resets both colours; a foreground alone keeps the background.
  if (foreground === undefined) return { ...style, foreground: null, background: null };
  return { ...style, foreground: colour(foreground), background: background === undefined ? style.background : colour(background) };
}

/** The text split into runs of one style, the codes (and their colour parameters) removed. */
export function parseFormatting(text: string): StyledRun[] {
  const runs: StyledRun[] = [];
  let style = PLAIN;
  let last = 0;
  for (const match of text.matchAll(CODE)) {
    if (match.index > last) appendRun(runs, text.slice(last, match.index), style);
    style = styleAfter(style, match);
    last = match.index + match[0].length;
  }
  if (text.length > last) appendRun(runs, text.slice(last), style);
  return runs;
}

function appendRun(runs: StyledRun[], text: string, style: TextStyle): void {
  const previous = runs.at(-1);
  if (previous && sameStyle(previous.style, style)) runs[runs.length - 1] = { text: previous.text + text, style };
  else runs.push({ text, style });
}

function sameStyle(a: TextStyle, b: TextStyle): boolean {
  return (Object.keys(a) as Array<keyof TextStyle>).every((key) => a[key] === b[key]);
}

/** The text without formatting codes: what a notification, a preview or a tooltip shows. */
export function stripFormatting(text: string): string {
  return parseFormatting(text)
    .map((run) => run.text)
    .join("");
}

/** The runs covering characters [start, end) of the stripped text. */
export function runsBetween(runs: readonly StyledRun[], start: number, end: number): StyledRun[] {
  const slice: StyledRun[] = [];
  let offset = 0;
  for (const run of runs) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + run.text.length);
    if (from < to) slice.push({ text: run.text.slice(from - offset, to - offset), style: run.style });
    offset += run.text.length;
    if (offset >= end) break;
  }
  return slice;
}
