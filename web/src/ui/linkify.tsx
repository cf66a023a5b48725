import { Fragment } from "preact";
import { DirectionControlsShown } from "./bidi.js";
import { parseFormatting, runsBetween, type StyledRun, type TextStyle } from "./irc-formatting.js";
import { splitLinks } from "./links.js";

/** The classes that show a style (see "IRC formatting" in styles.css). */
function styleClasses(style: TextStyle): string {
  // Reversed: the colours swap; without colours of its own the text is drawn in the page's colours swapped.
  const [foreground, background] = style.reverse ? [style.background, style.foreground] : [style.foreground, style.background];
  return [
    style.bold && "irc-bold",
    style.italic && "irc-italic",
    style.underline && "irc-underline",
    style.strikethrough && "irc-strike",
    style.monospace && "irc-mono",
    style.reverse && "irc-reverse",
    foreground !== null && `irc-fg-${foreground}`,
    background !== null && `irc-bg-${background}`,
  ]
    .filter(Boolean)
    .join(" ");
}

function Styled({ run, inLink }: { run: StyledRun; inLink: boolean }) {
  const classes = styleClasses(run.style);
  const text = inLink ? <DirectionControlsShown text={run.text} /> : run.text;
  return classes === "" ? <>{text}</> : <span class={classes}>{text}</span>;
}

/**
 * Message text (or a topic) as IRC clients show it: formatting codes drawn as bold,
 * colours…, and http(s) links clickable even where a style starts or ends inside them.
 * Each link is isolated, left to right, with its direction controls shown rather than
 * obeyed: what it reads is where it leads.
 */
export function FormattedText({ text }: { text: string }) {
  const runs = parseFormatting(text);
  const plain = runs.map((run) => run.text).join("");
  let offset = 0;
  return (
    <>
      {splitLinks(plain).map((part, i) => {
        const pieces = runsBetween(runs, offset, offset + part.text.length).map((run, j) => <Styled key={j} run={run} inLink={part.href !== null} />);
        offset += part.text.length;
        return part.href === null ? (
          <Fragment key={i}>{pieces}</Fragment>
        ) : (
          <a key={i} href={part.href} dir="ltr" target="_blank" rel="noopener noreferrer">
            {pieces}
          </a>
        );
      })}
    </>
  );
}
