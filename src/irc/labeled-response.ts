import { randomBytes } from "node:crypto";
import { escapeTagValue } from "./message.js";

/** Adds tags to the front of an already formatted line, merging with tags it already has. */
export function addTags(line: string, tags: string): string {
  return line.startsWith("@") ? `@${tags};${line.slice(1)}` : `@${tags} ${line}`;
}

/**
 * IRCv3 labeled-response: the replies to a labelled command go back with the label,
 * as an ACK when there are none, on the one line when there is one, and in a
 * `labeled-response` batch when there are several.
 */
export function labelReplies(label: string, lines: readonly string[], serverName: string): string {
  const tag = `label=${escapeTagValue(label)}`;
  if (lines.length === 0) return `@${tag} :${serverName} ACK\r\n`;
  if (lines.length === 1) return addTags(lines[0]!, tag);
  const ref = randomBytes(6).toString("base64url");
  let out = `@${tag} :${serverName} BATCH +${ref} labeled-response\r\n`;
  for (const line of lines) out += addTags(line, `batch=${ref}`);
  return `${out}:${serverName} BATCH -${ref}\r\n`;
}
