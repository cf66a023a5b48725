import type { ChatMessage, ChatState, Conversation, ConversationKind } from "./types.js";

export function newConversation(key: string, name: string, kind: ConversationKind): Conversation {
  return {
    key,
    kind,
    name,
    messages: [],
    hasOlder: true,
    atLatest: true,
    loadingOlder: false,
    loaded: false,
    joined: kind === "direct",
    topic: null,
    members: new Map(),
    readMarker: null,
    neverRead: false,
    unreadLineAfter: null,
    typing: new Map(),
    focus: null,
    peerAway: false,
  };
}

export interface UnreadCount {
  readonly count: number;
  readonly mentions: number;
  /** More may be unread than the messages loaded show ("50+"). */
  readonly atLeast: boolean;
}

function counts(message: ChatMessage): boolean {
  return !message.self && !message.redacted && message.kind !== "notice";
}

/**
 * Where the unread messages start: after the read marker; before every message when the
 * server said none was ever read; after the page load while the server has not said yet
 * (an unknown marker must not turn a whole history unread for a moment).
 */
export function unreadAfter(conversation: Conversation, since: string): string {
  if (conversation.readMarker !== null) return conversation.readMarker;
  return conversation.neverRead ? "" : since;
}

/** Unread messages and mentions after the read marker, among the messages we hold. */
export function unreadOf(conversation: Conversation, since: string): UnreadCount {
  const marker = unreadAfter(conversation, since);
  let count = 0;
  let mentionCount = 0;
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const message = conversation.messages[i]!;
    if (message.time <= marker) break;
    if (!counts(message)) continue;
    count++;
    if (message.mention) mentionCount++;
  }
  // Counted from the page load (no marker known yet), nothing older is left out: what came since arrived live.
  const markerKnown = conversation.readMarker !== null || conversation.neverRead;
  const oldest = conversation.messages[0];
  const atLeast =
    markerKnown && count > 0 && count === conversation.messages.filter(counts).length && conversation.hasOlder && oldest !== undefined && oldest.time > marker;
  return { count, mentions: mentionCount, atLeast };
}

/** The conversation list's order: channels by name, then direct conversations by name. */
export function orderedConversations(state: ChatState): Conversation[] {
  return [...state.conversations.values()].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === "channel" ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
}

/** Whether a copy changed none of the conversation's fields. */
function sameFields(a: Conversation, b: Conversation): boolean {
  for (const field of Object.keys(b) as Array<keyof Conversation>) if (a[field] !== b[field]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}

/**
 * `state` with conversation `key` changed by `change` (unchanged when it does not exist).
 * A change that changes nothing keeps the same state: a new object would re-render
 * every component reading it, and an effect that asks again on each render would loop.
 */
export function withConversation(state: ChatState, key: string, change: (conversation: Conversation) => Conversation): ChatState {
  const conversation = state.conversations.get(key);
  if (!conversation) return state;
  const next = change(conversation);
  if (next === conversation || sameFields(conversation, next)) return state;
  const conversations = new Map(state.conversations);
  conversations.set(key, next);
  return { ...state, conversations };
}

/** `state` with conversation `key` present (created with `name` and `kind` when new). */
export function ensureConversation(state: ChatState, key: string, name: string, kind: ConversationKind): ChatState {
  if (state.conversations.has(key)) return state;
  const conversations = new Map(state.conversations);
  conversations.set(key, newConversation(key, name, kind));
  return { ...state, conversations };
}

export function withoutConversation(state: ChatState, key: string): ChatState {
  if (!state.conversations.has(key)) return state;
  const conversations = new Map(state.conversations);
  conversations.delete(key);
  return { ...state, conversations, activeKey: state.activeKey === key ? null : state.activeKey };
}

/** The newest message time we hold in a conversation. */
export function latestTime(conversation: Conversation): string | null {
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const message = conversation.messages[i]!;
    if (message.delivery === "sent") return message.time;
  }
  return null;
}

/** The newest msgid we hold (the reference for gap-filling). */
export function latestMsgid(conversation: Conversation): string | null {
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const msgid = conversation.messages[i]!.msgid;
    if (msgid) return msgid;
  }
  return null;
}

export function oldestMsgid(conversation: Conversation): string | null {
  for (const message of conversation.messages) if (message.msgid) return message.msgid;
  return null;
}
