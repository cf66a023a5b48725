import { useState } from "preact/hooks";
import type { Chat } from "../../state/chat.js";
import type { ChatMessage, ChatState, Conversation } from "../../state/types.js";
import { Isolated } from "../bidi.js";
import { stripFormatting } from "../irc-formatting.js";
import { FormattedText } from "../linkify.js";
import { navigate } from "../route.js";
import { Composer } from "./Composer.js";
import { MemberList } from "./MemberList.js";
import { MessageList } from "./MessageList.js";
import { TypingIndicator } from "./TypingIndicator.js";

/** One open conversation: its header (topic, members, leave), messages, who is typing, the message box. */
export function ConversationView({ chat, state, conversation }: { chat: Chat; state: ChatState; conversation: Conversation }) {
  const [showMembers, setShowMembers] = useState(() => window.matchMedia("(min-width: 1000px)").matches);
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  const isChannel = conversation.kind === "channel";
  return (
    <section class="conversation" aria-labelledby="conversation-title">
      <header class="conversation-header">
        <div class="conversation-heading">
          <h2 id="conversation-title" title={conversation.name}>
            <Isolated text={conversation.name} />
          </h2>
          {isChannel ? (
            conversation.topic && (
              <p class="topic" dir="auto" title={stripFormatting(conversation.topic)}>
                <FormattedText text={conversation.topic} />
              </p>
            )
          ) : conversation.notLoggedIn ? (
            <p class="topic not-logged-in" role="note">
              <Isolated text={conversation.notLoggedIn.nick} /> is not logged in: these messages are not from the account <Isolated text={conversation.notLoggedIn.account} />, whatever they say.
            </p>
          ) : (
            <p class="topic">{conversation.peerAway ? "Away or offline: they will see your messages later" : "Direct conversation"}</p>
          )}
        </div>
        <div class="conversation-actions">
          {isChannel && (
            <button type="button" aria-expanded={showMembers} aria-controls="members" onClick={() => setShowMembers(!showMembers)}>
              Members <span aria-hidden="true">({conversation.members.size})</span>
            </button>
          )}
          <button
            type="button"
            onClick={() => {
              chat.leave(conversation.key);
              navigate("#/");
            }}
          >
            {isChannel ? "Leave" : "Close"}
          </button>
        </div>
      </header>
      <div class="conversation-body">
        <MessageList chat={chat} state={state} conversation={conversation} onReply={setReplyTo} />
        {isChannel && showMembers && <MemberList conversation={conversation} onMessage={(nick) => chat.startDirect(nick)} />}
      </div>
      <TypingIndicator conversation={conversation} />
      <Composer
        chat={chat}
        conversation={conversation}
        replyTo={replyTo}
        onReplyDone={() => setReplyTo(null)}
        disabled={(isChannel && !conversation.joined && state.connection.state === "ready") || conversation.notLoggedIn !== undefined}
      />
    </section>
  );
}
