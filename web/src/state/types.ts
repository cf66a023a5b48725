import type { ConnectionStatus } from "../irc/irc-client.js";

export type ConversationKind = "channel" | "direct";

/** Where an own message is on its way out; "sent" for everything the server confirmed (or sent us). */
export type DeliveryState = "sent" | "queued" | "sending" | "failed";

export interface Reaction {
  readonly emoji: string;
  /** Who reacted, in order of arrival, each once. */
  readonly nicks: readonly string[];
}

export interface ChatMessage {
  /** The msgid, or a local id for a message the server has not confirmed yet. */
  readonly id: string;
  readonly msgid: string | null;
  /** ISO 8601 (server-time). */
  readonly time: string;
  readonly nick: string;
  readonly account: string | null;
  readonly kind: "privmsg" | "notice" | "action";
  readonly text: string;
  readonly self: boolean;
  /** Names the user (or is a direct message to them). */
  readonly mention: boolean;
  /** The msgid this one replies to (+draft/reply). */
  readonly replyTo: string | null;
  readonly reactions: readonly Reaction[];
  readonly redacted: boolean;
  readonly delivery: DeliveryState;
  /** Why an own message failed. */
  readonly error?: string;
}

export interface Member {
  readonly nick: string;
  /** Membership prefixes, highest first ("@", "+", "@+"). */
  readonly prefix: string;
  readonly away: boolean;
  readonly account: string | null;
}

export interface Conversation {
  /** Case-folded name: the key of the conversation. */
  readonly key: string;
  readonly kind: ConversationKind;
  /** As shown: "#general", or the other person's nick. */
  readonly name: string;
  /** A contiguous window of the conversation's history, oldest first, each message once. */
  readonly messages: readonly ChatMessage[];
  /** Older messages may exist before the window (unknown until a BEFORE comes back short). */
  readonly hasOlder: boolean;
  /** The window reaches the newest message (live messages are appended). */
  readonly atLatest: boolean;
  readonly loadingOlder: boolean;
  /** The first page of history has been asked for (or there is none to ask for). */
  readonly loaded: boolean;
  /** Channels: we are in it. Direct conversations: always true. */
  readonly joined: boolean;
  readonly topic: string | null;
  readonly members: ReadonlyMap<string, Member>;
  /** Time of the last message read, on any of the account's devices (draft/read-marker); null = none known. */
  readonly readMarker: string | null;
  /**
   * The server said no device of the account has read anything here (MARKREAD `*`): every
   * message is unread. Unlike a marker not known yet, when only what came after the page
   * load counts (`since`).
   */
  readonly neverRead: boolean;
  /** Where the new-messages line goes: the read marker when the conversation was opened. */
  readonly unreadLineAfter: string | null;
  /** Nick (folded) → when their "typing" expires (ms since the epoch). */
  readonly typing: ReadonlyMap<string, { readonly nick: string; readonly until: number }>;
  /** A message to scroll to and highlight (a search result). */
  readonly focus: string | null;
  /** The other side of a direct conversation is away (or offline). */
  readonly peerAway: boolean;
  /**
   * A conversation of the messages `nick` sent without being logged in to `account`, the account
   * of the conversation under that nick (impostors.ts): shown apart, read-only, for this page only.
   */
  readonly notLoggedIn?: { readonly nick: string; readonly account: string };
}

export interface Capabilities {
  readonly multiline: { readonly maxBytes: number; readonly maxLines: number } | null;
  readonly redaction: boolean;
  readonly readMarker: boolean;
  readonly history: boolean;
  readonly typing: boolean;
  /** The server's VAPID public key when it offers draft/webpush. */
  readonly webPushKey: string | null;
}

/** A message that deserves the user's attention while they look elsewhere (a mention, a direct message). */
export interface Attention {
  readonly conversation: string;
  readonly kind: "mention" | "direct";
  readonly message: ChatMessage;
}

export interface Notice {
  readonly id: number;
  readonly text: string;
}

export interface ChatState {
  readonly connection: ConnectionStatus;
  readonly account: string;
  readonly nick: string;
  readonly conversations: ReadonlyMap<string, Conversation>;
  readonly activeKey: string | null;
  readonly caps: Capabilities;
  /** When this page signed in: until the server tells a conversation's read marker, only messages after it count as unread. */
  readonly since: string;
  /** Errors and notices for the user (shown in a live region, dismissible). */
  readonly notices: readonly Notice[];
}
