import { useEffect, useRef, useState } from "preact/hooks";
import type { Chat } from "../../state/chat.js";
import type { ChatMessage, Conversation } from "../../state/types.js";
import { Isolated } from "../bidi.js";
import { stripFormatting } from "../irc-formatting.js";

/** Drafts survive switching conversations (not reloads). */
const drafts = new Map<string, string>();

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
          placeholder={disabled ? `Join ${conversation.name} to write here` : `Message ${conversation.name}`}
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
