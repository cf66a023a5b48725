import type { Origin } from "./user.js";
import type { FlagMode, ListMode, MemberMode } from "./channel.js";

export type MessageKind = "privmsg" | "notice" | "tagmsg";

/**
 * Client-only tags (`+draft/react=…`), relayed to recipients that take tags. A plain
 * object, not a Map: events cross the bus as JSON and must survive the round trip.
 */
export type ClientTags = Readonly<Record<string, string>>;

export interface MessageEvent {
  readonly type: "message";
  readonly kind: MessageKind;
  readonly from: Origin;
  /** Channel name or recipient nick, as the sender wrote it (case preserved). */
  readonly target: string;
  readonly text: string;
  readonly tags: ClientTags | null;
  readonly msgid: string;
  readonly time: number;
}

export interface JoinEvent {
  readonly type: "join";
  readonly from: Origin;
  readonly channel: string;
  readonly realname: string;
  readonly msgid: string;
  readonly time: number;
}

export interface PartEvent {
  readonly type: "part";
  readonly from: Origin;
  readonly channel: string;
  readonly reason: string;
  readonly msgid: string;
  readonly time: number;
}

export interface KickEvent {
  readonly type: "kick";
  readonly from: Origin;
  readonly channel: string;
  readonly target: string;
  readonly reason: string;
  readonly msgid: string;
  readonly time: number;
}

export interface QuitEvent {
  readonly type: "quit";
  readonly from: Origin;
  readonly reason: string;
  readonly msgid: string;
  readonly time: number;
}

export interface NickEvent {
  readonly type: "nick";
  readonly from: Origin;
  readonly nick: string;
  readonly msgid: string;
  readonly time: number;
}

export interface TopicEvent {
  readonly type: "topic";
  readonly from: Origin;
  readonly channel: string;
  readonly topic: string;
  readonly msgid: string;
  readonly time: number;
}

export type AppliedModeChange =
  | { readonly kind: "flag"; readonly mode: FlagMode; readonly on: boolean }
  | { readonly kind: "key"; readonly on: boolean; readonly key: string }
  | { readonly kind: "limit"; readonly on: boolean; readonly limit: number }
  | { readonly kind: "member"; readonly mode: MemberMode; readonly on: boolean; readonly nick: string }
  | { readonly kind: "list"; readonly mode: ListMode; readonly on: boolean; readonly mask: string };

export interface ModeEvent {
  readonly type: "mode";
  readonly from: Origin;
  readonly channel: string;
  readonly changes: readonly AppliedModeChange[];
  readonly msgid: string;
  readonly time: number;
}

export interface InviteEvent {
  readonly type: "invite";
  readonly from: Origin;
  readonly channel: string;
  readonly target: string;
  readonly msgid: string;
  readonly time: number;
}

export interface AwayEvent {
  readonly type: "away";
  readonly from: Origin;
  readonly message: string | null;
  readonly msgid: string;
  readonly time: number;
}

export interface RealnameEvent {
  readonly type: "realname";
  readonly from: Origin;
  readonly realname: string;
  readonly msgid: string;
  readonly time: number;
}

export interface AccountEvent {
  readonly type: "account";
  readonly from: Origin;
  readonly account: string | null;
  readonly msgid: string;
  readonly time: number;
}

/** WALLOPS from an operator, to users with user mode +w. */
export interface WallopsEvent {
  readonly type: "wallops";
  readonly from: Origin;
  readonly text: string;
  readonly msgid: string;
  readonly time: number;
}

/**
 * A message was removed from history (IRCv3 message-redaction) by its sender, a channel
 * operator or an IRC operator; its conversation is told so that clients drop it too.
 */
export interface RedactEvent {
  readonly type: "redact";
  /** Who removed it. */
  readonly from: Origin;
  /** The conversation as the redacting client named it: the channel, or the other party's nick. */
  readonly target: string;
  /** The id of the message that was removed. */
  readonly redacted: string;
  readonly reason: string | null;
  readonly msgid: string;
  readonly time: number;
}

/**
 * An account's read marker (IRCv3 read-marker) moved forward. Goes to every session of
 * the account and to nobody else.
 */
export interface ReadMarkerEvent {
  readonly type: "read-marker";
  /** The account, casefolded. */
  readonly account: string;
  /** The conversation's stable key: a folded channel name, or the other party's folded account (else folded nick). */
  readonly target: string;
  /** The conversation as the setting client named it (channel name or nick), for the wire. */
  readonly name: string;
  /** The marker: the time of the last message read. */
  readonly time: number;
  readonly msgid: string;
}

/**
 * A nick came online or went offline, for the sessions that watch it (IRCv3 MONITOR).
 * A user that gains a connection (multiclient) or keeps none (always-on) does not change.
 */
export interface PresenceEvent {
  readonly type: "presence";
  /** The nick as it now is (online) or as it was (offline). */
  readonly nick: string;
  readonly online: boolean;
  /** Who holds the nick now; null when it went offline. */
  readonly origin: Origin | null;
  readonly msgid: string;
  readonly time: number;
}

/** Events something did: each has an originating user and is relayed to its audience as that user's action. */
export type RelayedEvent =
  | MessageEvent
  | JoinEvent
  | PartEvent
  | KickEvent
  | QuitEvent
  | NickEvent
  | TopicEvent
  | ModeEvent
  | InviteEvent
  | AwayEvent
  | RealnameEvent
  | AccountEvent
  | WallopsEvent
  | RedactEvent;

/** Everything the chat core tells sessions. Adapters turn each into their wire format. */
export type ChatEvent = RelayedEvent | ReadMarkerEvent | PresenceEvent;
