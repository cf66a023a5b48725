import { isUtf8 } from "node:buffer";
import { maxLineBytes } from "../../src/irc/input-lines.js";
import { formatLine } from "../../src/irc/format.js";
import { MAX_PARAMS, parseMessage, type IrcMessage } from "../../src/irc/message.js";
import { LineSplitter } from "../../src/net/line-splitter.js";
import { invariant, type FuzzTarget } from "../engine/target.js";
import { IRC_TOKENS } from "./irc-tokens.js";

/** RFC 1459: 512 bytes with CRLF, tags not counted. */
const MAX_BODY_BYTES = 510;

/** The longest line the server reads with the default tag limit (irc.maxTagBytes 8191). */
const LINE_LIMIT = maxLineBytes(8191);

/**
 * The IRC line framing and parser, and the formatter: bytes are cut into lines as a
 * connection cuts them, each line is parsed (parseMessage never throws: a line with no
 * command is null), and every valid message survives format → parse unchanged.
 */
export function runIrcParser(input: Buffer): void {
  const lines: Buffer[] = [];
  let overflows = 0;
  const splitter = new LineSplitter(LINE_LIMIT, { line: (bytes) => lines.push(Buffer.from(bytes)), overflow: () => overflows++ });
  // Fed in two pieces, as a socket may deliver it.
  const cut = input.length === 0 ? 0 : input[0]! % (input.length + 1);
  splitter.push(input.subarray(0, cut));
  splitter.push(input.subarray(cut));
  for (const bytes of lines) {
    invariant(bytes.length > 0 && bytes.length <= LINE_LIMIT, `line of ${bytes.length} bytes handed over (limit ${LINE_LIMIT})`);
    invariant(!bytes.includes(0x0d) && !bytes.includes(0x0a), "a line handed over still holds CR or LF");
    const message = parseMessage(bytes.toString("utf8"));
    if (message) checkMessage(message, isUtf8(bytes) && bodyBytes(bytes) < MAX_BODY_BYTES);
  }
}

/** The line without its tag section, in bytes (what the 512-byte limit counts). */
function bodyBytes(line: Buffer): number {
  return line[0] === 0x40 ? line.length - (line.indexOf(0x20) + 1) : line.length;
}

/**
 * @param roundTrip the line is one the server would run (UTF-8, within the body limit with
 *   a byte to spare for the colon formatting may add), so format → parse must give it back
 */
function checkMessage(message: IrcMessage, roundTrip: boolean): void {
  invariant(message.command.length > 0 && !message.command.includes(" "), `command ${JSON.stringify(message.command)} is empty or has a space`);
  invariant(message.command === message.command.toUpperCase(), `command ${JSON.stringify(message.command)} is not upper case`);
  invariant(message.source === null || !message.source.includes(" "), "source holds a space");
  invariant(message.params.length <= MAX_PARAMS, `${message.params.length} parameters (at most ${MAX_PARAMS})`);
  message.params.slice(0, -1).forEach((param, i) => {
    invariant(param !== "" && !param.includes(" ") && !param.startsWith(":"), `middle parameter ${i} ${JSON.stringify(param)} is empty, has a space or starts with ':'`);
  });
  const tags = message.tags ? [...message.tags] : null;
  const line = formatLine(message.source, message.command, message.params, tags);
  // formatLine cleans parameters; the command and source are the server's own, never a client's.
  const ownPartsClean = !message.command.includes("\0") && !(message.source ?? "").includes("\0");
  invariant(line.endsWith("\r\n") && !(ownPartsClean && /[\r\n\0]/.test(line.slice(0, -2))), `formatted line holds CR, LF or NUL: ${JSON.stringify(line)}`);
  const formattedBody = bodyBytes(Buffer.from(line.slice(0, -2)));
  invariant(formattedBody <= MAX_BODY_BYTES, `formatted line of ${formattedBody} bytes without tags (at most ${MAX_BODY_BYTES})`);
  if (!roundTrip || !isValidMessage(message)) return;
  const again = parseMessage(line.slice(0, -2));
  invariant(again !== null, `formatted line does not parse: ${JSON.stringify(line)}`);
  invariant(sameMessage(message, again), `round trip changed the message: ${JSON.stringify(show(message))} became ${JSON.stringify(show(again))} via ${JSON.stringify(line)}`);
}

/** What the server would run: a command word or numeric, and no NUL (such lines are refused). */
function isValidMessage(message: IrcMessage): boolean {
  if (!/^(?:[A-Z]+|\d{3})$/.test(message.command)) return false;
  const texts = [message.source ?? "", ...message.params, ...(message.tags ? [...message.tags].flat() : [])];
  return !texts.some((text) => text.includes("\0"));
}

function show(message: IrcMessage): object {
  return { ...message, tags: message.tags ? Object.fromEntries(message.tags) : null };
}

function sameMessage(a: IrcMessage, b: IrcMessage): boolean {
  const tagsA = a.tags && a.tags.size > 0 ? a.tags : null;
  const tagsB = b.tags && b.tags.size > 0 ? b.tags : null;
  if ((tagsA === null) !== (tagsB === null)) return false;
  if (tagsA && tagsB && (tagsA.size !== tagsB.size || [...tagsA].some(([k, v]) => tagsB.get(k) !== v))) return false;
  return a.source === b.source && a.command === b.command && a.params.length === b.params.length && a.params.every((p, i) => p === b.params[i]);
}

export const ircParser: FuzzTarget = {
  name: "irc-parser",
  description: "IRC line framing, parseMessage and formatLine (round trip)",
  dictionary: IRC_TOKENS,
  maxLength: 2 * LINE_LIMIT,
  run: runIrcParser,
};
