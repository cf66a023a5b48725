import { newConversation, withConversation } from "./conversations.js";
import { mergeMessages } from "./messages.js";
import type { ChatMessage, ChatState, Conversation } from "./types.js";

/**
 * Direct messages that are not from the account their conversation is with. The server
 * lets a connection without an account hold a registered account's nick for a grace
 * period (and anyone may take the nick of an account that is not connected after it), so
 * a nick alone does not say who wrote: a message under the nick of someone we talk to,
 * whose account tag is missing or another, is shown apart, in a conversation of its own
 * marked as not logged in, never under the account's history.
 */

/** How the conversation of `nick`'s messages sent without the account is named (and addressed: #/c/<name>). */
export function notLoggedInName(nick: string): string {
  return `${nick} (not logged in)`;
}

/**
 * The account the other side of a direct conversation is logged in to, as far as this page
 * knows: the account tag of their latest message, else the account the device saved the
 * conversation under (`savedName`, a conversation that followed a nick change); null: unknown.
 */
export function directAccount(conversation: Conversation, savedName: string | null): string | null {
  if (conversation.notLoggedIn) return null;
  return conversation.messages.findLast((message) => !message.self && message.account !== null)?.account ?? savedName;
}

/** Whether `message` claims to be from the other side of a conversation with `account`, without being logged in to it. */
export function isImpostor(message: ChatMessage, account: string | null, fold: (name: string) => string): boolean {
  if (message.self || account === null) return false;
  return message.account === null || fold(message.account) !== fold(account);
}

/**
 * `state` with the not-logged-in conversation of `nick` (who used the nick of `account`),
 * made when missing: it has no history of its own to load (the server's history under the
 * nick is the account's), and is not saved on the device.
 */
export function withNotLoggedIn(state: ChatState, key: string, nick: string, account: string): ChatState {
  if (state.conversations.has(key)) return state;
  const conversations = new Map(state.conversations);
  conversations.set(key, { ...newConversation(key, notLoggedInName(nick), "direct"), loaded: true, hasOlder: false, notLoggedIn: { nick, account } });
  return { ...state, conversations };
}

/**
 * A page of `conversation`'s history split: what belongs in it, and the other side's messages
 * that are not from its account (once known), for the not-logged-in conversations.
 */
export function splitHistory(conversation: Conversation, page: readonly ChatMessage[], savedName: string | null, fold: (name: string) => string): { own: ChatMessage[]; impostors: ChatMessage[]; account: string | null } {
  if (conversation.kind !== "direct" || conversation.notLoggedIn) return { own: [...page], impostors: [], account: null };
  const account = directAccount({ ...conversation, messages: [...conversation.messages, ...page] }, savedName);
  const own: ChatMessage[] = [];
  const impostors: ChatMessage[] = [];
  for (const message of page) (isImpostor(message, account, fold) ? impostors : own).push(message);
  return { own, impostors, account };
}

/** `state` with `messages` (from history, not from `account`) in their senders' not-logged-in conversations. */
export function withImpostorMessages(state: ChatState, messages: readonly ChatMessage[], account: string, fold: (name: string) => string): ChatState {
  let next = state;
  for (const message of messages) {
    const key = fold(notLoggedInName(message.nick));
    next = withConversation(withNotLoggedIn(next, key, message.nick, account), key, (c) => ({ ...c, messages: mergeMessages(c.messages, [message]) }));
  }
  return next;
}
