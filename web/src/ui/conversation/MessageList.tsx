import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { Chat } from "../../state/chat.js";
import type { ChatMessage, ChatState, Conversation } from "../../state/types.js";
import { dayKey, dayLabel } from "../time-format.js";
import { MessageItem } from "./MessageItem.js";
import { background } from "../../background.js";

/** Closer than this to the top, the page before is fetched. */
const LOAD_OLDER_WITHIN_PX = 400;
/** Closer than this to the bottom counts as "at the bottom" (new messages keep it there). */
const BOTTOM_SLACK_PX = 48;

/**
 * The messages of the open conversation, as the list "Messages". Scrolling up fetches
 * older pages (CHATHISTORY BEFORE) and keeps what was on screen in place; at the bottom
 * new messages keep the view at the bottom and the conversation is marked read.
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

  const byMsgid = new Map<string, ChatMessage>();
  for (const message of messages) if (message.msgid) byMsgid.set(message.msgid, message);
  const now = new Date();
  let unreadLineShown = false;

  return (
    <div class="messages-scroller" ref={scroller} onScroll={onScroll} tabIndex={0} aria-labelledby="conversation-title">
      <div class="history-edge" aria-live="polite">
        {conversation.loadingOlder ? "Loading older messages…" : conversation.loaded && !conversation.hasOlder ? "This is the beginning of the conversation." : ""}
      </div>
      <ul class="messages" aria-label="Messages">
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
