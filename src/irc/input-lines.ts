import { isUtf8 } from "node:buffer";
import type { IrcConnection } from "./connection.js";
import { formatLine } from "./format.js";
import { parseMessage, type IrcMessage } from "./message.js";
import { ERR } from "./numerics.js";

/** 512 bytes per RFC 1459, CRLF included; the transport hands over lines without it. */
const MAX_BODY_BYTES = 510;

/** The longest line a transport may hand over (tags and body, no CRLF): longer ones get 417. */
export function maxLineBytes(maxTagBytes: number): number {
  return MAX_BODY_BYTES + maxTagBytes + 1;
}

/** Whether a received line is over IRC's limits (answered 417): its tags over `maxTagBytes`, or its body over 510 bytes. */
export function isTooLong(bytes: Buffer, maxTagBytes: number): boolean {
  // The tag section counts its leading '@' and trailing space (IRCv3).
  const tagEnd = bytes[0] === 0x40 ? bytes.indexOf(0x20) : -1;
  return tagEnd + 1 > maxTagBytes || bytes.length - (tagEnd + 1) > MAX_BODY_BYTES;
}

/** A received line that was not valid UTF-8: answered with FAIL, never run. */
export class InvalidUtf8Line {
  constructor(readonly text: string) {}
}

/** A WebSocket message with a line break inside: answered with an error, never run. */
export const MALFORMED = Symbol("malformed message");

/** A line waiting to run. Unusable input still waits its turn, so flood control counts it like any line. */
export type QueuedLine = string | InvalidUtf8Line | typeof MALFORMED;

/** A received line as it waits to run: its text, or the text marked as invalid UTF-8. */
export function queuedLine(bytes: Buffer): QueuedLine {
  return isUtf8(bytes) ? bytes.toString("utf8") : new InvalidUtf8Line(bytes.toString("utf8"));
}

/**
 * The message a queued line holds, when it may run; null for what must not (a line
 * break inside a WebSocket message, invalid UTF-8, a NUL byte, nothing to parse),
 * each answered here.
 */
export function runnableMessage(connection: IrcConnection, raw: QueuedLine): IrcMessage | null {
  if (raw === MALFORMED) {
    connection.numeric(ERR.UNKNOWNERROR, "*", "WebSocket message holds a line break (one IRC line per message, without CR or LF) and was ignored");
    return null;
  }
  const invalidUtf8 = raw instanceof InvalidUtf8Line;
  const text = invalidUtf8 ? raw.text : raw;
  const message = parseMessage(text);
  if (!message) return null;
  if (invalidUtf8) {
    connection.sendLine(formatLine(connection.context.serverName, "FAIL", [message.command, "INVALID_UTF8", "Message rejected, your IRC software MUST use UTF-8"]));
    return null;
  }
  // A NUL anywhere in the line is in the command or a parameter unless it sits in the tags or source, which are not run.
  if (text.includes("\0") && (message.command.includes("\0") || message.params.some((p) => p.includes("\0")))) {
    // NUL may not appear in IRC messages; dropping the line beats guessing what was meant.
    connection.numeric(ERR.UNKNOWNERROR, message.command.includes("\0") ? "*" : message.command, "Message contains a NUL byte and was ignored");
    return null;
  }
  return message;
}
