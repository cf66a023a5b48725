import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Chat } from "../../state/chat.js";
import type { ChatMessage, Conversation } from "../../state/types.js";
import { FormattedText } from "../linkify.js";
import { linksOf } from "../links.js";
import { stripFormatting } from "../irc-formatting.js";
import { Isolated } from "../bidi.js";
import { clockTime, fullTime } from "../time-format.js";
import { MessagePreviews } from "../extras.js";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

interface Props {
  chat: Chat;
  conversation: Conversation;
  message: ChatMessage;
  /** The day separator above this message ("Today"), when it starts a day. */
  day: string | null;
  /** The "New messages" line goes above this message. */
  unreadLine: boolean;
  /** Same sender as the message before, shortly after: the name is not repeated (for the eye). */
  grouped: boolean;
  repliedTo: ChatMessage | null;
  focused: boolean;
  canRedact: boolean;
  /** The list's one tab stop (see MessageList): its links and buttons are in the tab order, other messages' are not. */
  tabStop: boolean;
  onReply: (message: ChatMessage) => void;
}

/** One message: who, when, what (links clickable), its reply context, reactions, and what one can do with it. */
export function MessageItem({ chat, conversation, message, day, unreadLine, grouped, repliedTo, focused, canRedact, tabStop, onReply }: Props) {
  const [picking, setPicking] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const item = useRef<HTMLLIElement>(null);
  const tabIndex = tabStop ? 0 : -1;
  // The links come from FormattedText, which knows nothing of tab stops.
  useLayoutEffect(() => {
    for (const link of item.current?.querySelectorAll<HTMLAnchorElement>(".text a[href]") ?? []) link.tabIndex = tabIndex;
  }, [tabIndex, message.text, message.redacted]);
  const me = chat.client.nick;
  const classes = ["message", `kind-${message.kind}`, message.self && "self", message.mention && "mention", grouped && "grouped", focused && "focused", message.delivery !== "sent" && `delivery-${message.delivery}`]
    .filter(Boolean)
    .join(" ");
  const canAct = message.msgid !== null && message.delivery === "sent" && !message.redacted;
  return (
    <li class={classes} ref={item} data-id={message.id} data-msgid={message.msgid ?? undefined} tabIndex={tabIndex}>
      {day && <h3 class="day-separator">{day}</h3>}
      {unreadLine && (
        <div class="unread-line" role="separator" aria-label="New messages">
          <span aria-hidden="true">New messages</span>
        </div>
      )}
      {message.replyTo && (
        <p class="reply-context">
          <span class="sr-only">In reply to </span>
          {repliedTo ? (
            <>
              <span class="nick">
                <Isolated text={repliedTo.nick} />
              </span>
              : {repliedTo.redacted ? "(deleted)" : <bdi>{truncate(stripFormatting(repliedTo.text), 120)}</bdi>}
            </>
          ) : (
            "an earlier message"
          )}
        </p>
      )}
      <div class="message-line">
        <span class={`nick${message.kind === "action" ? " action-nick" : ""}`}>
          {message.kind === "action" && "* "}
          <Isolated text={message.nick} />
        </span>
        <time dateTime={message.time} title={fullTime(message.time)}>
          {clockTime(message.time)}
        </time>
        {/* dir="auto": isolated from the nick and time, and right to left when the message is written so. */}
        <div class="text" dir="auto">
          {message.redacted ? <em class="redacted">This message was deleted.</em> : <FormattedText text={message.text} />}
        </div>
      </div>
      {!message.redacted && <MessagePreviews links={linksOf(stripFormatting(message.text))} />}
      {message.reactions.length > 0 && (
        <div class="reactions" role="group" aria-label="Reactions">
          {message.reactions.map((reaction) => {
            const mine = reaction.nicks.some((nick) => nick.toLowerCase() === me.toLowerCase());
            return (
              <button
                type="button"
                key={reaction.emoji}
                class={`reaction${mine ? " mine" : ""}`}
                aria-pressed={mine}
                aria-label={`${reaction.emoji} ${reaction.nicks.length}: ${reaction.nicks.join(", ")}`}
                title={reaction.nicks.join(", ")}
                disabled={!canAct || mine}
                tabIndex={tabIndex}
                onClick={() => chat.react(conversation.key, message.msgid!, reaction.emoji)}
              >
                {reaction.emoji} {reaction.nicks.length}
              </button>
            );
          })}
        </div>
      )}
      {message.self && message.delivery !== "sent" && <Delivery chat={chat} conversation={conversation} message={message} />}
      {canAct && (
        <div class="message-actions">
          <button type="button" class="icon-button" title="Reply" tabIndex={tabIndex} onClick={() => onReply(message)}>
            <span aria-hidden="true">↩</span>
            <span class="sr-only">Reply to {message.nick}</span>
          </button>
          <button type="button" class="icon-button" title="React" aria-expanded={picking} tabIndex={tabIndex} onClick={() => setPicking(!picking)}>
            <span aria-hidden="true">☺</span>
            <span class="sr-only">React to {message.nick}'s message</span>
          </button>
          {message.self && canRedact && (
            <button type="button" class="icon-button" title="Delete" tabIndex={tabIndex} onClick={() => setConfirming(true)}>
              <span aria-hidden="true">🗑</span>
              <span class="sr-only">Delete this message</span>
            </button>
          )}
        </div>
      )}
      {picking && canAct && (
        <div class="reaction-picker" role="group" aria-label="Choose a reaction">
          {QUICK_REACTIONS.map((emoji) => (
            <button
              type="button"
              key={emoji}
              class="icon-button"
              tabIndex={tabIndex}
              onClick={() => {
                chat.react(conversation.key, message.msgid!, emoji);
                setPicking(false);
              }}
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
      {confirming && canAct && (
        <div class="confirm-delete" role="group" aria-label="Delete this message?">
          <span>Delete this message for everyone?</span>
          <button
            type="button"
            class="danger small"
            tabIndex={tabIndex}
            onClick={() => {
              chat.redact(conversation.key, message.msgid!);
              setConfirming(false);
            }}
          >
            Delete
          </button>
          <button type="button" class="small" tabIndex={tabIndex} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
    </li>
  );
}

function Delivery({ chat, conversation, message }: { chat: Chat; conversation: Conversation; message: ChatMessage }) {
  if (message.delivery === "sending") return <p class="delivery">Sending…</p>;
  if (message.delivery === "queued") return <p class="delivery">Waiting for the connection; it will be sent when it is back.</p>;
  return (
    <p class="delivery failed">
      Not sent{message.error ? `: ${message.error}` : ""}.{" "}
      <button type="button" class="small" onClick={() => chat.retry(conversation.key, message.id)}>
        Retry
      </button>{" "}
      <button type="button" class="small" onClick={() => chat.discard(conversation.key, message.id)}>
        Discard
      </button>
    </p>
  );
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
