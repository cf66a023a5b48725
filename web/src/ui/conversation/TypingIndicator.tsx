import type { ComponentChildren } from "preact";
import type { Conversation } from "../../state/types.js";
import { Isolated } from "../bidi.js";

function whoIsTyping(nicks: readonly string[]): ComponentChildren {
  const [first, second] = nicks;
  if (first === undefined) return "";
  if (second === undefined) return <><Isolated text={first} /> is typing…</>;
  if (nicks.length === 2) return <><Isolated text={first} /> and <Isolated text={second} /> are typing…</>;
  return "Several people are typing…";
}

/** "alice is typing…", from +typing client tags. */
export function TypingIndicator({ conversation }: { conversation: Conversation }) {
  const nicks = [...conversation.typing.values()].map((entry) => entry.nick);
  return (
    <div class="typing" aria-live="polite">
      {whoIsTyping(nicks)}
    </div>
  );
}
