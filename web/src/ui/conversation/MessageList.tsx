import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Chat } from "../../state/chat.js";
import type { ChatMessage, ChatState, Conversation } from "../../state/types.js";
import { dayKey, dayLabel } from "../time-format.js";
import { MessageItem } from "./MessageItem.js";
import { background } from "../../background.js";
import { stripFormatting } from "../irc-formatting.js";

/** Closer than this to the top, the page before is fetched. */
const LOAD_OLDER_WITHIN_PX = 400;
/** Closer than this to the bottom counts as "at the bottom" (new messages keep it there). */
const BOTTOM_SLACK_PX = 48;
/** More new messages than this at once (a gap filled after a reconnect) are announced as a count. */
const ANNOUNCED_ONE_BY_ONE = 3;
/** The live region keeps this many announcements: older ones go (removals are not read out). */
const ANNOUNCEMENTS_KEPT = 5;

interface Seen {
  readonly messages: readonly ChatMessage[];
  readonly ids: ReadonlySet<string>;
  readonly atLatest: boolean;
}

interface Announcement {
  readonly id: number;
  readonly text: string;
}

/**
 * What arrived at the end of the window since it was last drawn, from others: live messages
 * (or a gap filled). Not history: a page of older messages goes in at the top, the first page
 * of a conversation into an empty window, and a jump back to the present replaces the window.
 */
function arrivedSince(seen: Seen | null, conversation: Conversation): ChatMessage[] {
  if (seen === null || seen.messages === conversation.messages || !seen.atLatest || !conversation.atLatest) return [];
  const messages = conversation.messages;
  let start = messages.length;
  while (start > 0 && !seen.ids.has(messages[start - 1]!.id)) start--;
  const fresh = messages.slice(start);
  if (start === 0 && fresh.length > 1) return [];
  return fresh.filter((message) => !message.self && !message.redacted);
}

function announcementOf(message: ChatMessage): string {
  const text = stripFormatting(message.text);
  return message.kind === "action" ? `${message.nick} ${text}` : `${message.nick}: ${text}`;
}

let announcementCounter = 0;

/** Keys that move between messages, to the message they lead to (an index into `count` messages). */
function stepOf(key: string, index: number, count: number): number | null {
  switch (key) {
    case "ArrowUp":
      return Math.max(0, index - 1);
    case "ArrowDown":
      return Math.min(count - 1, index + 1);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/**
 * The messages of the open conversation, as the list "Messages". Scrolling up fetches
 * older pages (CHATHISTORY BEFORE) and keeps what was on screen in place; at the bottom
 * new messages keep the view at the bottom and the conversation is marked read.
 *
 * From the keyboard the list is one tab stop (a roving tabindex): the message last moved to,
 * the newest until then. ↑/↓ (Home/End) move between messages; Tab goes on into the focused
 * message's links and buttons, whose buttons are out of the tab order on every other message.
 * New messages from others are read out by a live region of their own (role="log"): the list
 * itself also grows with history, which must not be read out.
 */
export function MessageList({ chat, state, conversation, onReply }: { chat: Chat; state: ChatState; conversation: Conversation; onReply: (message: ChatMessage) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const before = useRef<{ firstId: string | null; scrollHeight: number; scrollTop: number } | null>(null);
  const focusedOnce = useRef<string | null>(null);
  const latest = useRef(conversation);
  latest.current = conversation;
  const messages = conversation.messages;
  const firstId = messages[0]?.id ?? null;
  const [chosenId, setChosenId] = useState<string | null>(null);
  const tabStopId = chosenId !== null && messages.some((m) => m.id === chosenId) ? chosenId : (messages.at(-1)?.id ?? null);

  const seen = useRef<Seen | null>(null);
  const announcements = useRef<readonly Announcement[]>([]);
  const arrived = arrivedSince(seen.current, conversation);
  if (arrived.length > 0) {
    const texts = arrived.length > ANNOUNCED_ONE_BY_ONE ? [`${arrived.length} new messages`] : arrived.map(announcementOf);
    announcements.current = [...announcements.current, ...texts.map((text) => ({ id: ++announcementCounter, text }))].slice(-ANNOUNCEMENTS_KEPT);
  }
  if (seen.current?.messages !== messages || seen.current.atLatest !== conversation.atLatest) seen.current = { messages, ids: new Set(messages.map((m) => m.id)), atLatest: conversation.atLatest };

  const measure = (): void => {
    const el = scroller.current;
    if (el) before.current = { firstId: latest.current.messages[0]?.id ?? null, scrollHeight: el.scrollHeight, scrollTop: el.scrollTop };
  };

  const markReadIfSeen = (): void => {
    const c = latest.current;
    if (atBottom.current && c.atLatest && document.visibilityState === "visible") chat.markRead(c.key);
  };

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    const c = latest.current;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    measure();
    if (el.scrollTop < LOAD_OLDER_WITHIN_PX && c.hasOlder && !c.loadingOlder && c.loaded) background(chat.loadOlder(c.key));
    if (atBottom.current) {
      if (!c.atLatest) background(chat.loadNewer(c.key));
      else markReadIfSeen();
    }
  };

  // After every render: keep the view where the user expects it.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const previous = before.current;
    const focus = conversation.focus;
    if (focus !== null && focusedOnce.current !== focus) {
      const target = el.querySelector<HTMLElement>(`[data-msgid="${CSS.escape(focus)}"]`);
      if (target) {
        focusedOnce.current = focus;
        target.scrollIntoView({ block: "center" });
        atBottom.current = false;
      }
    } else if (previous && previous.firstId !== null && previous.firstId !== firstId && !atBottom.current && messages.some((m) => m.id === previous.firstId)) {
      // Older messages went in above: what was on screen stays where it was.
      el.scrollTop = previous.scrollTop + (el.scrollHeight - previous.scrollHeight);
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    measure();
  });

  // A window that does not fill the screen cannot be scrolled up: fetch more at once.
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollHeight <= el.clientHeight + 1 && conversation.hasOlder && conversation.loaded && !conversation.loadingOlder && messages.length > 0) background(chat.loadOlder(conversation.key));
    markReadIfSeen();
  });

  useEffect(() => {
    const onVisible = (): void => markReadIfSeen();
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);

  const itemOf = (id: string): HTMLElement | null => scroller.current?.querySelector<HTMLElement>(`.messages > li[data-id="${CSS.escape(id)}"]`) ?? null;

  // Focus that lands on a message (a click, Tab, the arrows) makes it the list's tab stop.
  const onFocusIn = (event: FocusEvent): void => {
    const item = (event.target as Element).closest<HTMLElement>(".messages > li[data-id]");
    if (item?.dataset.id) setChosenId(item.dataset.id);
  };

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return; // Alt+↑/↓ switch conversations
    const item = (event.target as Element).closest<HTMLElement>(".messages > li[data-id]");
    const index = item ? messages.findIndex((m) => m.id === item.dataset.id) : -1;
    if (index === -1) return;
    const next = stepOf(event.key, index, messages.length);
    if (next === null) return;
    event.preventDefault();
    itemOf(messages[next]!.id)?.focus();
  };

  // The message area itself is not a stop of its own: focus put on it (a click beside the
  // messages) goes on to the list's tab stop, without scrolling there.
  const onScrollerFocus = (event: FocusEvent): void => {
    if (event.target === scroller.current && tabStopId !== null) itemOf(tabStopId)?.focus({ preventScroll: true });
  };

  const byMsgid = new Map<string, ChatMessage>();
  for (const message of messages) if (message.msgid) byMsgid.set(message.msgid, message);
  const now = new Date();
  let unreadLineShown = false;

  return (
    <div class="messages-scroller" ref={scroller} onScroll={onScroll} onFocus={onScrollerFocus} tabIndex={-1} aria-labelledby="conversation-title">
      <div class="sr-only" role="log" aria-live="polite" aria-label="New messages as they arrive">
        {announcements.current.map((announcement) => (
          <p key={announcement.id}>{announcement.text}</p>
        ))}
      </div>
      <div class="history-edge" aria-live="polite">
        {conversation.loadingOlder ? "Loading older messages…" : conversation.loaded && !conversation.hasOlder ? "This is the beginning of the conversation." : ""}
      </div>
      <ul class="messages" aria-label="Messages" onFocusIn={onFocusIn} onKeyDown={onKeyDown}>
        {messages.map((message, i) => {
          const previous = messages[i - 1];
          const newDay = !previous || dayKey(previous.time) !== dayKey(message.time);
          const after = conversation.unreadLineAfter;
          const unreadLine = !unreadLineShown && after !== null && message.time > after && !message.self;
          if (unreadLine) unreadLineShown = true;
          const grouped = !newDay && !unreadLine && previous !== undefined && previous.nick === message.nick && previous.kind === message.kind && Date.parse(message.time) - Date.parse(previous.time) < 5 * 60_000;
          return (
            <MessageItem
              key={message.id}
              chat={chat}
              conversation={conversation}
              message={message}
              day={newDay ? dayLabel(message.time, now) : null}
              unreadLine={unreadLine}
              grouped={grouped}
              repliedTo={message.replyTo ? (byMsgid.get(message.replyTo) ?? null) : null}
              focused={conversation.focus !== null && message.msgid === conversation.focus}
              canRedact={state.caps.redaction}
              tabStop={message.id === tabStopId}
              onReply={onReply}
            />
          );
        })}
      </ul>
      {!conversation.atLatest && (
        <div class="jump-latest">
          <button type="button" onClick={() => background(chat.jumpToLatest(conversation.key))}>
            Jump to the latest messages
          </button>
        </div>
      )}
    </div>
  );
}
