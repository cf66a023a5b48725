import { randomBytes } from "node:crypto";
import { escapeTagValue } from "./message.js";

/** Adds tags to the front of an already formatted line, merging with tags it already has. */
export function addTags(line: string, tags: string): string {
  return line.startsWith("@") ? `@${tags};${line.slice(1)}` : `@${tags} ${line}`;
}

function holdsSeveralLines(text: string): boolean {
  const end = text.indexOf("\r\n");
  return end !== -1 && end + 2 < text.length;
}

/** The CRLF-terminated lines of `text`. */
function eachLine(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let end = text.indexOf("\r\n"); end !== -1; end = text.indexOf("\r\n", start)) {
    lines.push(text.slice(start, end + 2));
    start = end + 2;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** The tags of a formatted line, or "" when it has none. */
function tagSection(line: string): string {
  return line.startsWith("@") ? line.slice(1, line.indexOf(" ")) : "";
}

/** Whether the line already sits in a batch (it is inside a nested one): it keeps that batch tag. */
function inBatch(line: string): boolean {
  const tags = tagSection(line);
  return tags.startsWith("batch=") || tags.includes(";batch=");
}

/** A draft/multiline batch opener: `[@tags] :source BATCH +ref draft/multiline target`. */
const MULTILINE_OPENER = /^(?:@\S+ )?:\S+ BATCH \+(\S+) draft\/multiline /;

/**
 * When the replies are exactly one draft/multiline batch (the echo of a multiline
 * message), its reference: the multiline spec wants the label on its opener alone.
 */
function multilineBatchRef(lines: readonly string[]): string | null {
  const ref = MULTILINE_OPENER.exec(lines[0] ?? "")?.[1];
  if (ref === undefined || lines.length < 2) return null;
  const last = lines[lines.length - 1]!;
  return last.includes(` BATCH -${ref}\r\n`) && lines.slice(1, -1).every((line) => tagSection(line).split(";").includes(`batch=${ref}`)) ? ref : null;
}

/**
 * IRCv3 labeled-response: the replies to a labelled command go back with the label,
 * as an ACK when there are none, on the one line when there is one, on the opener
 * when they are one multiline batch, and in a `labeled-response` batch when there
 * are several (a batch among them nested in it).
 */
export function labelReplies(label: string, replies: readonly string[], serverName: string): string {
  // A captured reply may hold several lines (a long message split over lines): label each.
  const lines = replies.some(holdsSeveralLines) ? replies.flatMap(eachLine) : replies;
  const tag = `label=${escapeTagValue(label)}`;
  if (lines.length === 0) return `@${tag} :${serverName} ACK\r\n`;
  if (lines.length === 1) return addTags(lines[0]!, tag);
  if (multilineBatchRef(lines) !== null) return addTags(lines[0]!, tag) + lines.slice(1).join("");
  const ref = randomBytes(6).toString("base64url");
  let out = `@${tag} :${serverName} BATCH +${ref} labeled-response\r\n`;
  for (const line of lines) out += inBatch(line) ? line : addTags(line, `batch=${ref}`);
  return `${out}:${serverName} BATCH -${ref}\r\n`;
}
