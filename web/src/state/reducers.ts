import { continues, mergeMessages } from "./messages.js";
import { withConversation } from "./conversations.js";
import type { ChatMessage, ChatState, Conversation, Member, Reaction } from "./types.js";

/** Pure changes of the chat state, one per kind of event. Keys are case-folded names. */

export function addLiveMessage(state: ChatState, key: string, message: ChatMessage): ChatState {
  return withConversation(state, key, (conversation) => {
    // A window scrolled back into history takes no live messages: it would get a hole.
    // They are fetched with the rest when the window comes back to the latest.
    if (!conversation.atLatest) return conversation;
    const last = conversation.messages[conversation.messages.length - 1];
    if (continues(last, message)) return { ...conversation, messages: [...conversation.messages.slice(0, -1), { ...last!, text: last!.text + message.text }] };
    const typing = new Map(conversation.typing);
    typing.delete(message.nick.toLowerCase());
    return { ...conversation, messages: mergeMessages(conversation.messages, [message]), typing };
  });
}

export function replaceMessage(state: ChatState, key: string, id: string, change: (message: ChatMessage) => ChatMessage | null): ChatState {
  return withConversation(state, key, (conversation) => {
    const index = conversation.messages.findIndex((message) => message.id === id);
    if (index === -1) return conversation;
    const next = change(conversation.messages[index]!);
    const messages = [...conversation.messages];
    if (next === null) messages.splice(index, 1);
    else messages[index] = next;
    return { ...conversation, messages };
  });
}

function changeMessageByMsgid(conversation: Conversation, msgid: string, change: (message: ChatMessage) => ChatMessage): Conversation {
  const index = conversation.messages.findIndex((message) => message.msgid === msgid);
  if (index === -1) return conversation;
  const messages = [...conversation.messages];
  messages[index] = change(messages[index]!);
  return { ...conversation, messages };
}

export function redactMessage(state: ChatState, key: string, msgid: string): ChatState {
  return withConversation(state, key, (conversation) => changeMessageByMsgid(conversation, msgid, (message) => ({ ...message, text: "", redacted: true, reactions: [] })));
}

export function addReaction(state: ChatState, key: string, msgid: string, emoji: string, nick: string): ChatState {
  return withConversation(state, key, (conversation) =>
    changeMessageByMsgid(conversation, msgid, (message) => {
      const existing = message.reactions.find((reaction) => reaction.emoji === emoji);
      if (existing?.nicks.some((n) => n.toLowerCase() === nick.toLowerCase())) return message;
      const reactions: Reaction[] = existing
        ? message.reactions.map((reaction) => (reaction === existing ? { emoji, nicks: [...reaction.nicks, nick] } : reaction))
        : [...message.reactions, { emoji, nicks: [nick] }];
      return { ...message, reactions };
    }),
  );
}

/** +typing: "active" lasts 6 s, "paused" 30 s, "done" ends it (IRCv3 typing spec). */
export function setTyping(state: ChatState, key: string, nick: string, value: string, now: number): ChatState {
  return withConversation(state, key, (conversation) => {
    const typing = new Map(conversation.typing);
    const folded = nick.toLowerCase();
    if (value === "active") typing.set(folded, { nick, until: now + 6_000 });
    else if (value === "paused") typing.set(folded, { nick, until: now + 30_000 });
    else if (!typing.delete(folded)) return conversation;
    return { ...conversation, typing };
  });
}

export function expireTyping(state: ChatState, now: number): ChatState {
  let next = state;
  for (const conversation of state.conversations.values()) {
    if (conversation.typing.size === 0) continue;
    const live = [...conversation.typing].filter(([, entry]) => entry.until > now);
    if (live.length !== conversation.typing.size) next = withConversation(next, conversation.key, (c) => ({ ...c, typing: new Map(live) }));
  }
  return next;
}

/**
 * A read marker only moves forward, as on the server. `null`: the server has none (never
 * read anywhere); a marker this tab set and the server has not heard of yet stays.
 */
export function setReadMarker(state: ChatState, key: string, time: string | null): ChatState {
  return withConversation(state, key, (conversation) => {
    if (time === null) return conversation.readMarker !== null || conversation.neverRead ? conversation : { ...conversation, neverRead: true };
    if (conversation.readMarker !== null && conversation.readMarker >= time) return conversation;
    return { ...conversation, readMarker: time };
  });
}

export function setTopic(state: ChatState, key: string, topic: string | null): ChatState {
  return withConversation(state, key, (conversation) => (conversation.topic === topic ? conversation : { ...conversation, topic }));
}

export function setMembers(state: ChatState, key: string, members: ReadonlyMap<string, Member>): ChatState {
  return withConversation(state, key, (conversation) => ({ ...conversation, members }));
}

export function memberJoined(state: ChatState, key: string, folded: string, member: Member): ChatState {
  return withConversation(state, key, (conversation) => {
    const members = new Map(conversation.members);
    members.set(folded, { ...member, away: members.get(folded)?.away ?? member.away });
    return { ...conversation, members };
  });
}

export function memberLeft(state: ChatState, key: string, folded: string): ChatState {
  return withConversation(state, key, (conversation) => {
    if (!conversation.members.has(folded)) return conversation;
    const members = new Map(conversation.members);
    members.delete(folded);
    return { ...conversation, members };
  });
}

/** Changes one member in every channel they share with us (QUIT, NICK, AWAY). */
export function everyChannel(state: ChatState, folded: string, change: (members: Map<string, Member>, member: Member) => void): ChatState {
  let next = state;
  for (const conversation of state.conversations.values()) {
    const member = conversation.members.get(folded);
    if (!member) continue;
    next = withConversation(next, conversation.key, (c) => {
      const members = new Map(c.members);
      change(members, member);
      return { ...c, members };
    });
  }
  return next;
}

export function pushNotice(state: ChatState, text: string): ChatState {
  const id = (state.notices[state.notices.length - 1]?.id ?? 0) + 1;
  // A few at a time: old ones go.
  return { ...state, notices: [...state.notices.slice(-4), { id, text }] };
}
