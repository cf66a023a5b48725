import type { Config } from "../config/schema.js";

/** RFC 1459: a line is at most 512 bytes with its CRLF (IRCv3 tags not counted). */
const MAX_BODY_BYTES = 510;
/** The longest host we show: an IPv6 address as text, with the "0" put before one that starts with ':' (ircSafeHost). */
const LONGEST_HOST = 40;
/** A message id (message-ids.ts: 12 characters of prefix and 8 of counter), with room to spare. */
const LONGEST_MSGID = 24;

export interface TextLimits {
  readonly topicLength: number;
  readonly kickLength: number;
  readonly awayLength: number;
}

/**
 * The lengths of topics, kick/part/quit/redaction reasons and away messages that every
 * member receives whole: the configured ones (irc.topicLength, kickLength, awayLength),
 * lowered where the longest line relaying such a text — the longest nick, username, host
 * and channel name the configuration allows before it — would pass 512 bytes and be cut
 * on the wire. TOPICLEN, KICKLEN and AWAYLEN advertise these, and the chat clips to them.
 */
export function textLimits(irc: Config["irc"]): TextLimits {
  const source = 1 + irc.nickLength + 1 + irc.userLength + 1 + LONGEST_HOST;
  const topicLine = source + " TOPIC ".length + irc.channelLength + " :".length;
  const kickLine = source + " KICK ".length + irc.channelLength + 1 + irc.nickLength + " :".length;
  const redactLine = source + " REDACT ".length + irc.channelLength + 1 + LONGEST_MSGID + " :".length;
  const awayLine = source + " AWAY :".length;
  return {
    topicLength: Math.min(irc.topicLength, MAX_BODY_BYTES - topicLine),
    kickLength: Math.min(irc.kickLength, MAX_BODY_BYTES - Math.max(kickLine, redactLine)),
    awayLength: Math.min(irc.awayLength, MAX_BODY_BYTES - awayLine),
  };
}
