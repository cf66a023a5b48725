import type { IrcConnection } from "./connection.js";
import { utf8Length } from "./utf8.js";

/** RFC 1459: a line is at most 512 bytes with its CRLF, not counting the IRCv3 tags. */
const MAX_BODY_BYTES = 510;

/**
 * The lines of numeric `code` holding `words` (nicks, channels, targets) as the last
 * parameter, after `params`, joined by `separator`, in as many lines as they need: each
 * line is measured in bytes with its source, nick and parameters, so none passes 512 bytes
 * (formatLine would cut it, and a name would be lost). Lazy, for a reply written as the
 * client reads it (IrcConnection.sendPaced).
 */
export function* wordListLines(connection: IrcConnection, code: string, params: readonly string[], words: Iterable<string>, separator = " "): Generator<string> {
  const overhead = utf8Length(`:${connection.context.serverName} ${code} ${connection.nick} ${params.map((param) => `${param} `).join("")}:`);
  const room = MAX_BODY_BYTES - overhead;
  let batch: string[] = [];
  let size = 0;
  for (const word of words) {
    const bytes = utf8Length(word);
    if (batch.length > 0 && size + separator.length + bytes > room) {
      yield connection.numericLine(code, ...params, batch.join(separator));
      batch = [];
      size = 0;
    }
    size += (batch.length > 0 ? separator.length : 0) + bytes;
    batch.push(word);
  }
  if (batch.length > 0) yield connection.numericLine(code, ...params, batch.join(separator));
}

/** wordListLines, sent at once. */
export function sendWordLists(connection: IrcConnection, code: string, params: readonly string[], words: readonly string[], separator = " "): void {
  for (const line of wordListLines(connection, code, params, words, separator)) connection.sendLine(line);
}
