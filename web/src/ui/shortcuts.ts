import { useEffect, useRef } from "preact/hooks";

export interface ShortcutActions {
  /** Ctrl+K (⌘K on a Mac). */
  quickSwitch(): void;
  /** Alt+↑ / Alt+↓: the previous or next conversation. */
  move(step: -1 | 1): void;
  /** Esc: mark the open conversation read. */
  markRead(): void;
}

/** The app's keyboard shortcuts, on the whole page. */
export function useShortcuts(actions: ShortcutActions): void {
  // The handler is installed once; it always calls the latest actions.
  const current = useRef(actions);
  current.current = actions;
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.defaultPrevented || event.isComposing) return;
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        current.current.quickSwitch();
      } else if (event.altKey && !event.ctrlKey && !event.metaKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        event.preventDefault();
        current.current.move(event.key === "ArrowUp" ? -1 : 1);
      } else if (event.key === "Escape" && !document.querySelector("dialog[open]")) {
        current.current.markRead();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
