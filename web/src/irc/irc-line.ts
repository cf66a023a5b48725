/**
 * IRC lines in the browser: the server's own parser and formatter (one implementation
 * for both sides), minus the CRLF, which WebSocket framing replaces.
 */
import { formatLine, type OutgoingTags } from "../../../src/irc/format.js";
export { parseMessage, type IrcMessage } from "../../../src/irc/message.js";
export type { OutgoingTags };

/** One outgoing line without its terminator: one IRCv3 WebSocket message. */
export function formatClientLine(command: string, params: readonly string[], tags: OutgoingTags | null = null): string {
  return formatLine(null, command, params, tags).slice(0, -2);
}

/** The nick of a `nick!user@host` source. */
export function nickOf(source: string | null): string {
  if (source === null) return "";
  const bang = source.indexOf("!");
  return bang === -1 ? source : source.slice(0, bang);
}
