/**
 * The shapes the chat core (chat-core.ts) and its parts (channel-ops.ts,
 * user-lifecycle.ts, user-fields.ts) share: the limits they enforce, what a new
 * user brings, and `CoreServices`, what each part reaches of the core.
 */
import type { Bus, Scope } from "./bus.js";
import type { Channel } from "./channel.js";
import type { ChatEvent } from "./events.js";
import type { StateOp } from "./replication.js";
import type { ChatUser } from "./user.js";

/** The away message of an always-on user with no connection. */
export const DISCONNECTED_AWAY = "Not connected (always-on)";

export interface ChatLimits {
  readonly nickLength: number;
  readonly channelLength: number;
  readonly topicLength: number;
  readonly kickLength: number;
  readonly awayLength: number;
  readonly realnameLength: number;
  readonly maxChannelsPerUser: number;
  readonly maxListEntries: number;
  readonly whowasLength: number;
  /** Largest message text in UTF-8 bytes (config chat.maxMessageBytes); see message-size.ts. */
  readonly maxMessageBytes: number;
  /**
   * Channels the server owns (config irc.defaultChannels, every user's auto-join):
   * their first joiner gets no operator status, as no user runs them. None when absent.
   */
  readonly serverChannels?: readonly string[];
}

export interface NewUser {
  readonly nick: string;
  readonly username: string;
  readonly realname: string;
  readonly hostname: string;
  readonly address: string;
  readonly secure: boolean;
}

/** A checked message destination: exactly one of channel and recipient is set. */
export interface MessageDestination {
  readonly ok: true;
  readonly channel: Channel | null;
  readonly recipient: ChatUser | null;
}

export interface ChatStats {
  readonly users: number;
  readonly invisible: number;
  readonly operators: number;
  readonly channels: number;
  readonly maxUsers: number;
}

/** A fresh message id and the time, which every event carries. */
export interface Stamp {
  msgid: string;
  time: number;
}

/**
 * Truncates to at most `maxBytes` of UTF-8 without splitting a character. The limits it
 * applies are advertised as TOPICLEN, KICKLEN, AWAYLEN… and count bytes, as the lines that
 * carry the texts do (as Ergo counts them): counted in UTF-16 units, 390 accented letters
 * made a TOPIC line over 512 bytes, whose end the line's own cut then lost.
 */
export function clip(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text);
  let end = maxBytes;
  // bytes[end] is the first byte left out: step back while it continues a character (10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.toString("utf8", 0, end);
}

/** What every part of the chat core reaches of it; the core gives it. */
export interface CoreServices {
  /** The core's limits now (a rehash replaces them). */
  limits(): ChatLimits;
  /** This node's id (null on its own) and whether the other nodes can be reached now. */
  readonly bus: Pick<Bus, "node" | "connected">;
  /** The one way out of the core for every event. */
  publish(scope: Scope, event: ChatEvent, fromSession?: string | null, skipOrigin?: boolean): void;
  /** A state change the other nodes of a cluster must see (nothing on a node on its own). */
  replicate(op: StateOp): void;
  stamp(): Stamp;
  now(): number;
  findUser(nick: string): ChatUser | undefined;
  /** An always-on user's nick, channels or connection state changed: keep it. */
  touched(user: ChatUser): void;
}
