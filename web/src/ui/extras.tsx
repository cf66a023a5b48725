import type { AuthSession } from "../api/session.js";
import type { Chat } from "../state/chat.js";

/**
 * Where the files, search and notification pieces plug into the app. They are built
 * beside the chat (web/src/files, web/src/search, web/src/notifications.ts); until
 * they are here the app runs without them.
 */
export interface Extras {
  readonly hasSearch: boolean;
  readonly hasFiles: boolean;
}

export function useExtras(_chat: Chat, _session: AuthSession): Extras {
  return { hasSearch: false, hasFiles: false };
}

export function ExtraView({ view }: { view: "files" | "search"; extras: Extras }) {
  return (
    <section class="empty-view">
      <h2>{view === "files" ? "Files" : "Search"}</h2>
      <p>Not available on this server yet.</p>
    </section>
  );
}

/** Inline previews of shared files under a message (none yet). */
export function MessagePreviews(_props: { links: readonly string[] }) {
  return null;
}

/** Browser notifications and Web Push (none yet). */
export function NotificationSettings(_props: { chat: Chat }) {
  return null;
}
