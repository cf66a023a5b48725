import { unreadOf } from "../state/conversations.js";
import type { ChatState, Conversation } from "../state/types.js";
import { Isolated } from "./bidi.js";
import { conversationHref } from "./route.js";

/**
 * The "Conversations" navigation: one link per channel or direct conversation, named
 * after it alone. The unread count is shown beside the name but kept out of the link's
 * name (aria-hidden) and given as its description instead, so the name stays stable.
 */
export function ConversationList({ state, conversations }: { state: ChatState; conversations: readonly Conversation[] }) {
  const channels = conversations.filter((c) => c.kind === "channel");
  const directs = conversations.filter((c) => c.kind === "direct");
  return (
    <nav class="conversations" aria-label="Conversations">
      <Section title="Channels" items={channels} state={state} offset={0} />
      <Section title="Direct messages" items={directs} state={state} offset={channels.length} />
    </nav>
  );
}

function Section({ title, items, state, offset }: { title: string; items: readonly Conversation[]; state: ChatState; offset: number }) {
  const headingId = `conversations-${title === "Channels" ? "channels" : "directs"}`;
  return (
    <>
      <h2 class="list-heading" id={headingId}>
        {title}
      </h2>
      {items.length === 0 ? (
        <p class="list-empty">None yet</p>
      ) : (
        <ul aria-labelledby={headingId}>
          {items.map((conversation, i) => (
            <Entry key={conversation.key} conversation={conversation} state={state} index={offset + i} />
          ))}
        </ul>
      )}
    </>
  );
}

function Entry({ conversation, state, index }: { conversation: Conversation; state: ChatState; index: number }) {
  const unread = unreadOf(conversation, state.since);
  const active = state.activeKey === conversation.key;
  const descriptionId = `conversation-unread-${index}`;
  const label = unread.count === 0 ? "" : `${unread.count}${unread.atLeast ? "+" : ""}`;
  const description =
    unread.count === 0 ? "" : `${label} unread${unread.mentions > 0 ? (conversation.kind === "direct" ? "" : `, ${unread.mentions} mentioning you`) : ""}`;
  const classes = ["conversation-link", active && "active", unread.count > 0 && "unread", unread.mentions > 0 && "mentioned", !conversation.joined && "parted"].filter(Boolean).join(" ");
  return (
    <li>
      <a class={classes} href={conversationHref(conversation.name)} aria-current={active ? "page" : undefined} aria-describedby={description ? descriptionId : undefined} data-unread={unread.count} data-mentions={unread.mentions}>
        {conversation.kind === "direct" && <span class={`presence${conversation.peerAway ? " away" : ""}`} aria-hidden="true" />}
        <span class="conversation-name">
          <Isolated text={conversation.name} />
        </span>
        {label && (
          <span class="badge" aria-hidden="true">
            {label}
          </span>
        )}
      </a>
      {description && (
        <span id={descriptionId} class="sr-only">
          {description}
        </span>
      )}
    </li>
  );
}
