import { useEffect, useRef, useState } from "preact/hooks";
import type { Conversation } from "../state/types.js";
import { conversationHref, navigate } from "./route.js";
import { Isolated } from "./bidi.js";
import { focusComposerOf } from "./conversation/Composer.js";

/** Ctrl+K: type part of a name, Enter goes there (↑/↓ choose among the matches). */
export function QuickSwitcher({ conversations, onClose }: { conversations: readonly Conversation[]; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState(0);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const needle = query.trim().toLowerCase();
  const matches = conversations.filter((c) => c.name.toLowerCase().includes(needle)).sort((a, b) => Number(!a.name.toLowerCase().startsWith(needle)) - Number(!b.name.toLowerCase().startsWith(needle)));
  const current = Math.min(selected, Math.max(0, matches.length - 1));
  const go = (conversation: Conversation | undefined): void => {
    if (!conversation) return;
    // Closed, not just removed: the page behind stops being inert before the focus goes there.
    dialog.current?.close();
    navigate(conversationHref(conversation.name));
    focusComposerOf(conversation.key);
  };
  return (
    <dialog ref={dialog} class="dialog switcher" aria-labelledby="switcher-title" onClose={onClose} onClick={(e) => e.target === dialog.current && dialog.current?.close()}>
      <h2 id="switcher-title" class="sr-only">
        Go to a conversation
      </h2>
      <input
        class="switcher-input"
        role="combobox"
        aria-label="Go to conversation"
        aria-expanded="true"
        aria-controls="switcher-list"
        aria-autocomplete="list"
        aria-activedescendant={matches.length > 0 ? `switcher-option-${current}` : undefined}
        autoFocus
        value={query}
        placeholder="Go to conversation…"
        onInput={(e) => {
          setQuery(e.currentTarget.value);
          setSelected(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            const step = e.key === "ArrowDown" ? 1 : -1;
            setSelected((current + step + matches.length) % Math.max(1, matches.length));
          } else if (e.key === "Enter") {
            e.preventDefault();
            go(matches[current]);
          }
        }}
      />
      <ul id="switcher-list" role="listbox" aria-label="Conversations found" class="switcher-list">
        {matches.map((conversation, i) => (
          <li id={`switcher-option-${i}`} key={conversation.key} role="option" aria-selected={i === current} class={i === current ? "selected" : ""} onClick={() => go(conversation)}>
            <Isolated text={conversation.name} />
          </li>
        ))}
      </ul>
      {matches.length === 0 && <p class="list-empty">No conversation matches.</p>}
    </dialog>
  );
}
