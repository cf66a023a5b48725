import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AuthSession } from "../api/session.js";
import { Chat } from "../state/chat.js";
import { orderedConversations, unreadOf } from "../state/conversations.js";
import { useStore } from "./use-store.js";
import { conversationHref, navigate, parseRoute, useRoute, type Route } from "./route.js";
import { ConversationList } from "./ConversationList.js";
import { ConversationView } from "./conversation/ConversationView.js";
import { ConnectionStatusView } from "./ConnectionStatusView.js";
import { Notices } from "./Notices.js";
import { QuickSwitcher } from "./QuickSwitcher.js";
import { SettingsView } from "./SettingsView.js";
import { JoinDialog, DirectDialog } from "./NewConversationDialogs.js";
import { useShortcuts } from "./shortcuts.js";
import { ExtraView, useExtras } from "./extras.js";

/** The WebSocket URL of this server's /ws (same origin; wss on https). */
function websocketUrl(): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
}

/** The signed-in app: conversation list, the open view, dialogs and keyboard shortcuts. */
export function ChatApp({ session }: { session: AuthSession }) {
  const chat = useMemo(
    () =>
      new Chat({
        account: session.account.name,
        url: websocketUrl(),
        getToken: session.getToken,
        onAuthFailure: async () => {
          try {
            return await session.refreshNow();
          } catch {
            return true; // the server is unreachable: the connection retries later
          }
        },
      }),
    [session],
  );
  const state = useStore(chat.store);
  const route = useRoute();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [switcherOpen, setSwitcherOpen] = useState(false);
  const [dialog, setDialog] = useState<"join" | "direct" | null>(null);
  const extras = useExtras(chat, session);

  useEffect(() => {
    chat.start();
    const stopOpen = chat.onOpenRequest((name) => navigate(conversationHref(name)));
    return () => {
      stopOpen();
      chat.stop("Page closed");
    };
  }, [chat]);

  const ordered = orderedConversations(state);
  const active = state.activeKey ? state.conversations.get(state.activeKey) : undefined;
  const routeKey = route.view === "conversation" && route.name !== null ? chat.keyOf(route.name) : null;

  // The route decides what is open. A link to a direct conversation not in the list
  // starts it, but only when the route is new: a conversation just closed stays closed.
  const routeSeen = useRef<Route | null>(null);
  useEffect(() => {
    const isNewRoute = routeSeen.current !== route;
    const isFirstRoute = routeSeen.current === null;
    routeSeen.current = route;
    if (route.view !== "conversation") return chat.open(null);
    if (route.name === null) {
      const first = ordered[0];
      // Only while the address still names nothing: a navigation may be on its way (hashchange is async).
      const now = parseRoute(location.hash);
      if (first && now.view === "conversation" && now.name === null) location.replace(conversationHref(first.name));
      return;
    }
    if (state.conversations.has(routeKey!)) chat.open(routeKey);
    else if (!isNewRoute && active && active.key !== routeKey) {
      // The open conversation was renamed under the address (the other side changed nick): the
      // address follows it, replacing the old one (Back does not lead to a name no longer there).
      location.replace(conversationHref(active.name));
    } else if (isFirstRoute && chat.savedNameOf(route.name) !== null) {
      // The page was left on a conversation that followed a nick change: it comes back under the name it is kept by.
      location.replace(conversationHref(chat.savedNameOf(route.name)!));
    } else if (isNewRoute && !chat.context().isChannel(route.name)) chat.startDirect(route.name, false);
    else chat.open(null);
  }, [route, routeKey, state.conversations.has(routeKey ?? ""), ordered.length]);

  // Close the drawer once something was chosen in it (small screens).
  useEffect(() => setDrawerOpen(false), [route]);

  // The tab's title counts what is unread.
  let totalUnread = 0;
  for (const conversation of state.conversations.values()) totalUnread += unreadOf(conversation, state.since).count;
  useEffect(() => {
    document.title = totalUnread > 0 ? `(${totalUnread}) CmyMessage` : "CmyMessage";
  }, [totalUnread]);

  useShortcuts({
    quickSwitch: () => setSwitcherOpen(true),
    move: (step) => {
      if (ordered.length === 0) return;
      const index = ordered.findIndex((c) => c.key === state.activeKey);
      const next = ordered[(index + step + ordered.length) % ordered.length]!;
      navigate(conversationHref(next.name));
    },
    markRead: () => {
      if (drawerOpen) setDrawerOpen(false);
      else if (state.activeKey) chat.markRead(state.activeKey);
    },
  });

  const missingChannel = route.view === "conversation" && route.name !== null && chat.context().isChannel(route.name) ? route.name : null;

  return (
    <div class={`app${drawerOpen ? " drawer-open" : ""}`}>
      <header class="topbar">
        <button type="button" class="icon-button menu-button" aria-expanded={drawerOpen} aria-controls="sidebar" onClick={() => setDrawerOpen(!drawerOpen)}>
          <span aria-hidden="true">☰</span>
          <span class="sr-only">Conversation list</span>
        </button>
        <h1 class="brand">CmyMessage</h1>
        <ConnectionStatusView status={state.connection} onRetry={() => chat.client.reconnectNow()} />
        <nav class="views" aria-label="Views">
          {extras.hasSearch && (
            <a href="#/search" aria-current={route.view === "search" ? "page" : undefined}>
              Search
            </a>
          )}
          {extras.hasFiles && (
            <a href="#/files" aria-current={route.view === "files" ? "page" : undefined}>
              Files
            </a>
          )}
          <a href="#/settings" aria-current={route.view === "settings" ? "page" : undefined}>
            Settings
          </a>
        </nav>
      </header>
      <div class="layout">
        <aside id="sidebar" class="sidebar">
          <ConversationList state={state} conversations={ordered} />
          <div class="sidebar-actions">
            <button type="button" onClick={() => setDialog("join")}>
              Join a channel
            </button>
            <button type="button" onClick={() => setDialog("direct")}>
              Message someone
            </button>
          </div>
        </aside>
        <div class="scrim" aria-hidden="true" onClick={() => setDrawerOpen(false)} />
        <main class="main" id="main">
          {route.view === "settings" ? (
            <SettingsView session={session} chat={chat} />
          ) : route.view === "files" || route.view === "search" ? (
            <ExtraView view={route.view} extras={extras} />
          ) : active ? (
            <ConversationView key={active.key} chat={chat} state={state} conversation={active} />
          ) : missingChannel !== null ? (
            <section class="empty-view">
              <h2>{missingChannel}</h2>
              <p>You are not in this channel.</p>
              <button type="button" class="primary" onClick={() => chat.join(missingChannel)}>
                Join {missingChannel}
              </button>
            </section>
          ) : (
            <section class="empty-view">
              <h2>Welcome</h2>
              <p>{state.connection.state === "ready" ? "Join a channel or message someone to start." : "Connecting…"}</p>
            </section>
          )}
        </main>
      </div>
      <Notices notices={state.notices} onDismiss={(id) => chat.dismissNotice(id)} />
      {switcherOpen && <QuickSwitcher conversations={ordered} onClose={() => setSwitcherOpen(false)} />}
      {dialog === "join" && <JoinDialog onJoin={(name, key) => chat.join(name, key)} onClose={() => setDialog(null)} />}
      {dialog === "direct" && <DirectDialog check={(nick) => chat.directTargetProblem(nick)} onStart={(nick) => chat.startDirect(nick)} onClose={() => setDialog(null)} />}
    </div>
  );
}
