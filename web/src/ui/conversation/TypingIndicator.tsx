import type { Conversation } from "../../state/types.js";

/** "alice is typing…", from +typing client tags. */
export function TypingIndicator({ conversation }: { conversation: Conversation }) {
  const nicks = [...conversation.typing.values()].map((entry) => entry.nick);
  let text = "";
  if (nicks.length === 1) text = `${nicks[0]} is typing…`;
  else if (nicks.length === 2) text = `${nicks[0]} and ${nicks[1]} are typing…`;
  else if (nicks.length > 2) text = "Several people are typing…";
  return (
    <div class="typing" aria-live="polite">
      {text}
    </div>
  );
}
