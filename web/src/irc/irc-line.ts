/**
 * IRC lines in the browser: the server's own parser and formatter (one implementation
 * for both sides), minus the CRLF, which WebSocket framing replaces.
 */
import { formatMessageLine, type OutgoingTags } from "../../../src/irc/format.js";
export { parseMessage, type IrcMessage } from "../../../src/irc/message.js";
export type { OutgoingTags };

/** One outgoing line without its terminator: one IRCv3 WebSocket message. */
export function formatClientLine(command: string, params: readonly string[], tags: OutgoingTags | null = null): string {
  return formatMessageLine(null, command, params, tags);
}

/** The nick of a `nick!user@host` source. */
export function nickOf(source: string | null): string {
  if (source === null) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? source : source.slice(0, bang);
}
