import { formatLine, type OutgoingTags } from "./format.js";
import { MAX_LINE_BYTES, messageLines, splitText, textRoom } from "./split-text.js";

/** IRCv3 draft/multiline: the batch type, and the tag that joins a line to the previous one without a line break. */
export const MULTILINE_BATCH = "draft/multiline";
export const CONCAT_TAG = "draft/multiline-concat";

/** Whether `text` fits one line of `room` bytes; the cheap test first (a UTF-16 unit is at most 3 bytes). */
function fits(text: string, room: number): boolean {
  return text.length * 3 <= room || Buffer.byteLength(text) <= room;
}

/** Whether the line surely fits without counting bytes: every UTF-16 unit is at most 3 bytes (most messages). */
function surelyFits(source: string, command: string, target: string, text: string): boolean {
  return (source.length + target.length + text.length) * 3 + command.length + 7 <= MAX_LINE_BYTES;
}

/** Whether a PRIVMSG/NOTICE of `text` takes more than one line: it holds a line break, or one line cannot carry it. */
export function needsSeveralLines(source: string, command: string, target: string, text: string): boolean {
  return text.includes("\n") || (!surelyFits(source, command, target, text) && !fits(text, textRoom(source, command, target)));
}

/**
 * A message's batch reference: its msgid, kept to the characters a reference may hold
 * (letters, digits, hyphen). The same for every recipient and every time it is written,
 * so a message formats the same after a trip over the bus; a client has one such batch
 * open at a time (each is written whole), so it never meets two batches of one reference.
 */
function batchRef(msgid: string): string {
  return `ml${msgid.replace(/[^A-Za-z0-9-]/g, "")}`;
}

/**
 * A PRIVMSG or NOTICE as the lines one client is sent, `tags` on its first line:
 *
 * - text that fits one line: that line (the common case, kept cheap);
 * - for a client with draft/multiline (`multilineMsgid` given: the message's id), one
 *   `draft/multiline` BATCH: the opener carries the tags (msgid, time, account, client
 *   tags, and the `batch` of an enclosing batch such as chathistory), then one line per
 *   line of the text, a line too long for 512 bytes cut by `splitText` and its pieces
 *   after the first tagged `draft/multiline-concat`;
 * - for any other client, as Ergo does: one line per non-blank line of the text (the
 *   spec forbids blank lines to them), each cut like a long single-line message; the
 *   first line carries all the tags, the others all but the msgid (one message, one id).
 */
export function textMessageLines(source: string, command: string, target: string, text: string, tags: OutgoingTags | null, multilineMsgid: string | null): string {
  const breaks = text.includes("\n");
  if (!breaks && surelyFits(source, command, target, text)) return formatLine(source, command, [target, text], tags);
  const room = textRoom(source, command, target);
  if (!breaks && fits(text, room)) return formatLine(source, command, [target, text], tags);
  if (multilineMsgid !== null) return multilineBatch(source, command, target, text, tags, batchRef(multilineMsgid), room);
  if (!breaks) return messageLines(source, command, target, text, tags);
  const rest = tags && tags.filter(([key]) => key !== "msgid");
  let out = "";
  for (const line of text.split("\n")) {
    if (line === "") continue;
    out += messageLines(source, command, target, line, out === "" ? tags : rest);
  }
  return out;
}

function multilineBatch(source: string, command: string, target: string, text: string, tags: OutgoingTags | null, ref: string, room: number): string {
  const inBatch: OutgoingTags = [["batch", ref]];
  const concatenated: OutgoingTags = [["batch", ref], [CONCAT_TAG, ""]];
  let out = formatLine(source, "BATCH", [`+${ref}`, MULTILINE_BATCH, target], tags);
  for (const line of text.split("\n")) {
    const pieces = line === "" ? [""] : splitText(line, room);
    for (let i = 0; i < pieces.length; i++) out += formatLine(source, command, [target, pieces[i]!], i === 0 ? inBatch : concatenated);
  }
  // The opener and closer of a batch nested in another both name the outer one.
  const outer = tags?.find(([key]) => key === "batch");
  return out + formatLine(source, "BATCH", [`-${ref}`], outer ? [outer] : null);
}
