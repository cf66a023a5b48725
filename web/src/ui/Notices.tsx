import type { Notice } from "../state/types.js";
import { stripFormatting } from "./irc-formatting.js";

/** Errors and notices from the server (IRC formatting codes left out), announced politely and dismissible. */
export function Notices({ notices, onDismiss }: { notices: readonly Notice[]; onDismiss: (id: number) => void }) {
  return (
    <div class="notices" aria-live="polite">
      {notices.map((notice) => (
        <div class="notice" key={notice.id}>
          <span>{stripFormatting(notice.text)}</span>
          <button type="button" class="icon-button" onClick={() => onDismiss(notice.id)}>
            <span aria-hidden="true">×</span>
            <span class="sr-only">Dismiss</span>
          </button>
        </div>
      ))}
    </div>
  );
}
