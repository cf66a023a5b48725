import { formatLine, type OutgoingTags } from "./format.js";
import { splitUtf8, utf8Length } from "./utf8.js";

/** An IRC line without its tags is at most 512 bytes, CRLF included (RFC 1459, Modern IRC). */
export const MAX_LINE_BYTES = 512;

/** The fewest text bytes a line is made to carry, whatever its source and target (one 4-byte character). */
const MIN_ROOM = 4;

/** Bytes of text one `:source COMMAND target :text` line can carry within 512 bytes. */
export function textRoom(source: string, command: string, target: string): number {
  // ":" source " " COMMAND " " target " :" text CRLF
  const room = MAX_LINE_BYTES - (utf8Length(source) + command.length + utf8Length(target) + 7);
  return Math.max(room, MIN_ROOM);
}

/** Cuts `text` into pieces of at most `room` bytes of UTF-8 (see `splitUtf8`). */
export const splitText = splitUtf8;

/** A CTCP message (`\x01ACTION waves\x01`, the closing \x01 optional): its command with the space after it, and its text. */
const CTCP = /^\x01([^\x01 ]+ )([^\x01]*)\x01?$/;

/**
 * A message's text cut to `room` bytes a piece. A CTCP message (an ACTION, mostly) has
 * each piece framed as one of its own: cut as plain text, its first line lacked the
 * closing \x01 and the others the opening one, so clients showed a broken ACTION and
 * then raw text with a stray \x01.
 */
function messagePieces(text: string, room: number): string[] {
  const pieces = splitText(text, room);
  const ctcp = pieces.length > 1 ? CTCP.exec(text) : null;
  if (!ctcp) return pieces;
  const frame = `\x01${ctcp[1]!}`;
  const innerRoom = room - utf8Length(frame) - 1;
  // A command so long that no text fits beside it: the message is cut as plain text.
  if (innerRoom < MIN_ROOM) return pieces;
  return splitText(ctcp[2]!, innerRoom).map((piece) => `${frame}${piece}\x01`);
}

/**
 * A PRIVMSG or NOTICE as IRC lines: one when the text fits the 512-byte line for
 * this source and target, else several, the text split by `splitText` (never
 * clipped; a CTCP message framed on every line). Every line carries the tags (time, account, client tags) except the
 * `msgid`, which only the first line carries — one message, one id, as Ergo does
 * for a long message sent to a client without multiline: a client that keeps
 * messages by msgid would otherwise drop the later lines as duplicates.
 */
export function messageLines(source: string, command: string, target: string, text: string, tags: OutgoingTags | null): string {
  const pieces = messagePieces(text, textRoom(source, command, target));
  if (pieces.length === 1) return formatLine(source, command, [target, text], tags);
  const rest = tags && tags.filter(([key]) => key !== "msgid");
  let lines = formatLine(source, command, [target, pieces[0]!], tags);
  for (let i = 1; i < pieces.length; i++) lines += formatLine(source, command, [target, pieces[i]!], rest);
  return lines;
}
