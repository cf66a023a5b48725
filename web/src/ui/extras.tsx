import { useEffect, useRef, useState } from "preact/hooks";
import type { AuthSession } from "../api/session.js";
import type { Chat } from "../state/chat.js";
import { FilesView } from "../files/FilesView.js";
import { SharePreview } from "../files/SharePreview.js";
import { notifyIfHidden, registerServiceWorker, requestNotificationPermission, subscribePush } from "../notifications.js";
import { SearchView } from "../search/SearchView.js";
import { conversationHref, navigate } from "./route.js";
import { useStore } from "./use-store.js";
import { stripFormatting } from "./irc-formatting.js";
import { background } from "../background.js";

/**
 * Where the files, search and notification pieces (web/src/files, web/src/search,
 * web/src/notifications.ts) plug into the app: the views behind #/files and #/search,
 * previews under messages, notifications for mentions and direct messages, Web Push.
 */
export interface Extras {
  readonly hasSearch: boolean;
  readonly hasFiles: boolean;
  readonly chat: Chat;
  readonly session: AuthSession;
  /** The conversation open before the user went to another view: where "Share" posts. */
  readonly lastConversation: string | null;
}

function notificationPermission(): NotificationPermission | "unsupported" {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** Subscribes this browser to Web Push and registers it over IRC, when allowed and offered. */
async function enablePush(chat: Chat): Promise<boolean> {
  const key = chat.store.state.caps.webPushKey;
  if (key === null) return false;
  const subscription = await subscribePush(key);
  return subscription !== null && chat.registerPush(subscription);
}

export function useExtras(chat: Chat, session: AuthSession): Extras {
  const state = useStore(chat.store);
  const last = useRef<string | null>(null);
  const active = state.activeKey ? state.conversations.get(state.activeKey) : undefined;
  if (active) last.current = active.key;
  const lastConversation = last.current && state.conversations.has(last.current) ? last.current : null;

  // The worker shows pushes when no tab is open, and turns a notification click into a route here.
  useEffect(() => {
    background(registerServiceWorker());
    return chat.onAttention((attention) =>
      notifyIfHidden({
        title: attention.kind === "direct" ? attention.conversation : `${attention.message.nick} in ${attention.conversation}`,
        body: attention.message.kind === "action" ? `* ${attention.message.nick} ${stripFormatting(attention.message.text)}` : stripFormatting(attention.message.text),
        conversation: attention.conversation,
      }),
    );
  }, [chat]);

  // Each connection registers this device's push subscription again (the server keeps one per endpoint),
  // so a subscription the browser renewed reaches the server without the user doing anything.
  const ready = state.connection.state === "ready";
  useEffect(() => {
    if (ready && notificationPermission() === "granted") background(enablePush(chat));
  }, [ready, chat]);

  return { hasSearch: true, hasFiles: true, chat, session, lastConversation };
}

export function ExtraView({ view, extras }: { view: "files" | "search"; extras: Extras }) {
  const { chat, session, lastConversation } = extras;
  if (view === "search") {
    return (
      <SearchView
        fetch={session.fetch}
        onOpen={(hit) => {
          const name = hit.conversation.kind === "channel" ? hit.conversation.name : hit.conversation.with;
          navigate(conversationHref(name));
          background(chat.jumpTo(hit.conversation, hit.msgid));
        }}
      />
    );
  }
  const target = lastConversation ? chat.store.state.conversations.get(lastConversation) : undefined;
  return (
    <FilesView
      fetch={session.fetch}
      getToken={session.getToken}
      {...(target && { onShare: (url: string) => chat.send(target.key, url) })}
    />
  );
}

/** Inline previews of this server's shared images under a message. */
export function MessagePreviews({ links }: { links: readonly string[] }) {
  if (links.length === 0) return null;
  return (
    <>
      {links.map((link) => (
        <SharePreview key={link} url={link} />
      ))}
    </>
  );
}

/** Browser notifications (mentions and direct messages while the tab is hidden) and Web Push. */
export function NotificationSettings({ chat }: { chat: Chat }) {
  const state = useStore(chat.store);
  const [permission, setPermission] = useState(notificationPermission);
  const [pushed, setPushed] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);

  const turnOn = async (): Promise<void> => {
    setBusy(true);
    try {
      await requestNotificationPermission();
      setPermission(notificationPermission());
      if (notificationPermission() === "granted") setPushed(await enablePush(chat));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="settings-block" role="group" aria-labelledby="notifications-title">
      <h3 id="notifications-title">Notifications</h3>
      {permission === "unsupported" ? (
        <p>This browser cannot show notifications.</p>
      ) : permission === "denied" ? (
        <p>Notifications are blocked for this site. Allow them in the browser's site settings to be told about mentions and direct messages.</p>
      ) : permission === "granted" ? (
        <p role="status">
          You are notified of mentions and direct messages while this tab is in the background
          {pushed === true
            ? ", and by push when no tab is open."
            : pushed === false
              ? ". Push when no tab is open is not available in this browser or on this server."
              : state.caps.webPushKey
                ? ", and by push when no tab is open."
                : "."}
        </p>
      ) : (
        <>
          <p>Be told about mentions and direct messages while this tab is in the background, or closed.</p>
          <button type="button" class="primary" disabled={busy} onClick={() => background(turnOn())}>
            Turn on notifications
          </button>
        </>
      )}
    </div>
  );
}
