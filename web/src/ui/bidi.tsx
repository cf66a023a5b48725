import type { ComponentChildren } from "preact";

/**
 * The characters that change the direction of the text after them (embeddings and
 * overrides U+202A-202E, isolates U+2066-2069). Inside a link or a name they can make
 * `…\u202Egnp.exe` read as `…exe.png`; there they are shown, not obeyed.
 */
const DIRECTION_CONTROL = /([\u202A-\u202E\u2066-\u2069])/;

/** The code point of a character as Unicode writes it: "U+202E". */
function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The text with each direction control replaced by a visible "U+202E" mark (the rest unchanged). */
export function DirectionControlsShown({ text }: { text: string }): ComponentChildren {
  if (!DIRECTION_CONTROL.test(text)) return text;
  // split with a capturing group: controls at the odd indexes.
  return text.split(DIRECTION_CONTROL).map((piece, i) =>
    i % 2 === 0 ? (
      piece
    ) : (
      <span key={i} class="direction-control" title="Direction control character">
        {codePoint(piece)}
      </span>
    ),
  );
}

/**
 * A name (a nick, a channel, a file) set apart from the text around it (`<bdi>`): whatever
 * characters it holds, it cannot reorder what comes before or after it, and its direction
 * controls are shown, so it reads in the order its characters really are.
 */
export function Isolated({ text }: { text: string }) {
  return (
    <bdi>
      <DirectionControlsShown text={text} />
    </bdi>
  );
}
