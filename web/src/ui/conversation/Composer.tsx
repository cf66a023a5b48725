import { useEffect, useRef, useState } from "preact/hooks";
import type { Chat } from "../../state/chat.js";
import type { ChatMessage, Conversation } from "../../state/types.js";
import { Isolated } from "../bidi.js";
import { stripFormatting } from "../irc-formatting.js";

/** Drafts survive switching conversations (not reloads). */
const drafts = new Map<string, string>();

/** How long a request for the focus waits for its conversation to open (a JOIN answered late does not take it). */
const FOCUS_REQUEST_MS = 15_000;
/** Until when the next message box to appear takes the focus; 0: none asked for. */
let focusWantedUntil = 0;
/** The message box on screen, if any. */
let onScreen: { readonly key: string; focus(): void } | null = null;

/** Anything the user does before the conversation opens (a click, a key) cancels the request. */
function cancelFocusRequest(): void {
  focusWantedUntil = 0;
  window.removeEventListener("pointerdown", cancelFocusRequest, true);
  window.removeEventListener("keydown", cancelFocusRequest, true);
}

function wantFocus(): void {
  cancelFocusRequest();
  focusWantedUntil = Date.now() + FOCUS_REQUEST_MS;
  // Capture: the key or click that made the request is past this phase already and does not cancel it.
  window.addEventListener("pointerdown", cancelFocusRequest, true);
  window.addEventListener("keydown", cancelFocusRequest, true);
}

function takeFocusRequest(): boolean {
  const wanted = focusWantedUntil > Date.now();
  cancelFocusRequest();
  return wanted;
}

/**
 * Puts the focus in the message box of the conversation the user is going to (quick switcher,
 * the new-conversation dialogs): `key` when already on screen, otherwise the next one to appear.
 * Without it, the focus would be left on <body> or on the button that opened a dialog.
 */
export function focusComposerOf(key?: string): void {
  if (key !== undefined && onScreen?.key === key) onScreen.focus();
  else wantFocus();
}

/**
 * The message box ("Message"). Enter sends, Shift+Enter makes a new line; text with
 * several lines (typed or pasted) goes as one message (draft/multiline) where the
 * server has it.
 */
export function Composer({ chat, conversation, replyTo, onReplyDone, disabled }: { chat: Chat; conversation: Conversation; replyTo: ChatMessage | null; onReplyDone: () => void; disabled: boolean }) {
  const [text, setText] = useState(() => drafts.get(conversation.key) ?? "");
  const box = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    drafts.set(conversation.key, text);
  }, [text, conversation.key]);

  useEffect(() => {
    if (replyTo) box.current?.focus();
  }, [replyTo]);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const self = { key: conversation.key, focus: () => element.focus() };
    onScreen = self;
    if (takeFocusRequest()) element.focus();
    return () => {
      if (onScreen === self) onScreen = null;
      // Leaving with the focus in this conversation (Alt+↓ from the box, Leave) or already lost:
      // the next conversation's box takes it rather than <body>.
      const focused = document.activeElement;
      if (focused === null || focused === document.body || element.closest(".conversation")?.contains(focused)) wantFocus();
    };
  }, [conversation.key]);

  const send = (): void => {
    if (text.trim() === "" || disabled) return;
    chat.send(conversation.key, text, replyTo?.msgid ?? null);
    setText("");
    drafts.delete(conversation.key);
    onReplyDone();
  };

  const lines = Math.min(8, text.split("\n").length);
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {replyTo && (
        <div class="replying">
          <span>
            Replying to{" "}
            <strong>
              <Isolated text={replyTo.nick} />
            </strong>
            : <bdi>{excerpt(stripFormatting(replyTo.text))}</bdi>
          </span>
          <button type="button" class="icon-button" onClick={onReplyDone}>
            <span aria-hidden="true">×</span>
            <span class="sr-only">Cancel the reply</span>
          </button>
        </div>
      )}
      <div class="composer-row">
        <label for="composer-input" class="sr-only">
          Message
        </label>
        <textarea
          id="composer-input"
          ref={box}
          rows={lines}
          value={text}
          disabled={disabled}
          placeholder={conversation.notLoggedIn ? `${conversation.notLoggedIn.nick} is not logged in: no replies from here` : disabled ? `Join ${conversation.name} to write here` : `Message ${conversation.name}`}
          autocomplete="off"
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            chat.typing(conversation.key, value.trim() !== "");
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            } else if (e.key === "Escape" && replyTo) {
              onReplyDone();
            }
          }}
        />
        <button type="submit" class="primary" disabled={disabled || text.trim() === ""}>
          Send
        </button>
      </div>
    </form>
  );
}

function excerpt(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
