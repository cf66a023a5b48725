import { escapeTagValue } from "./message.js";
import { truncateUtf8 } from "./utf8.js";

/** Tags to put on an outgoing line, in order; values are escaped here. */
export type OutgoingTags = ReadonlyArray<readonly [string, string]>;

/** RFC 1459: a line is at most 512 bytes with its CRLF, not counting the IRCv3 tags. */
const MAX_BODY_BYTES = 510;

// CR, LF and NUL must never reach a client inside a line: they would end it or split it.
const UNSAFE = /[\r\n\0]/;
const UNSAFE_ALL = /[\r\n\0]/g;

function clean(param: string): string {
  return UNSAFE.test(param) ? param.replace(UNSAFE_ALL, " ") : param;
}

export function formatTags(tags: OutgoingTags | null): string {
  if (!tags || tags.length === 0) return "";
  let out = "@";
  for (let i = 0; i < tags.length; i++) {
    const [key, value] = tags[i]!;
    if (i > 0) out += ";";
    out += value === "" ? key : `${key}=${escapeTagValue(value)}`;
  }
  return `${out} `;
}

/**
 * Commands whose last parameter is free text (or, for NICK, is read as if it were):
 * like most servers, we always write it as a trailing parameter (`:text`), so naive
 * parsers that expect the colon work (ii 1.8 shows a nick change only as `NICK :new`).
 */
const TEXT_PARAM_INDEX = new Map<string, number>([
  ["NICK", 0],
  ["PRIVMSG", 1],
  ["NOTICE", 1],
  ["PART", 1],
  ["TOPIC", 1],
  ["KICK", 2],
  ["QUIT", 0],
  ["AWAY", 0],
  ["SETNAME", 0],
  ["WALLOPS", 0],
  ["REDACT", 2],
  ["ERROR", 0],
  ["FAIL", 2],
  ["WARN", 2],
  ["NOTE", 2],
]);

/** Whether the last of `count` parameters is free text that is always written with a colon. */
function alwaysTrailing(command: string, count: number): boolean {
  if (command.length === 3 && command.charCodeAt(0) <= 0x39) return true;
  const index = TEXT_PARAM_INDEX.get(command);
  return index !== undefined && count - 1 >= index;
}

/** Source, command and parameters, the last one trailing when it must be or is free text; no tags, no CRLF, no limit. */
function formatBody(source: string | null, command: string, params: readonly string[]): string {
  let line = source === null ? "" : `:${source} `;
  line += command;
  const last = params.length - 1;
  const textLast = alwaysTrailing(command, params.length);
  for (let i = 0; i < params.length; i++) {
    const param = clean(params[i]!);
    const unfit = !fitsMiddle(param);
    if (i === last) line += textLast || unfit ? ` :${param}` : ` ${param}`;
    // A middle parameter that is empty, has a space or starts with ':' would read as no
    // parameter, as two, or as the trailing one, shifting the rest (a client's `WHOIS ::x`
    // repeated in 401 would make the reply text part of the nick): "*" stands in, as Ergo
    // writes it (SafeErrorParam) and as for a nick not yet chosen. Only a word a user typed can
    // be one (a client's own word repeated in a reply); the server's own middle words never are.
    else line += ` ${unfit ? "*" : param}`;
  }
  return line;
}

/** Whether `param` can be written as a middle parameter: not empty, no space, no leading ':'. */
function fitsMiddle(param: string): boolean {
  return param !== "" && !param.includes(" ") && !param.startsWith(":");
}

/**
 * Formats one line with CRLF. The last parameter is written as a trailing
 * parameter when it must be (empty, has a space, starts with ':') or when it
 * is free text (numerics, PRIVMSG…); a middle one that could not stand as one
 * (empty, has a space, starts with ':') is written as "*".
 * Past 512 bytes without its tags, the line is cut.
 */
export function formatLine(source: string | null, command: string, params: readonly string[], tags: OutgoingTags | null = null): string {
  // Text is split to fit before it gets here (split-text.ts); what can still be too long is a
  // client's own word echoed back (a 500-byte unknown command in 421, a target in 401): it is
  // cut, as other servers cut, rather than sent in a line clients need not accept.
  return `${formatTags(tags)}${truncateUtf8(formatBody(source, command, params), MAX_BODY_BYTES)}\r\n`;
}

/**
 * One IRC line without CRLF and without the server's 512-byte cut: for carriers with
 * limits of their own (a draft/webpush payload holds up to ~4 KB and cuts the text
 * itself, on a character boundary), and for the web client's lines to the server, which
 * must never lose text silently (an overlong line gets 417 from the server instead).
 */
export function formatMessageLine(source: string | null, command: string, params: readonly string[], tags: OutgoingTags | null): string {
  return `${formatTags(tags)}${formatBody(source, command, params)}`;
}
