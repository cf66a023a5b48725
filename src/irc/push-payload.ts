import type { MessageEvent } from "../core/chat/events.js";
import { serverTime } from "./event-lines.js";
import { formatMessageLine, type OutgoingTags } from "./format.js";
import { splitText } from "./split-text.js";

function line(event: MessageEvent, text: string, tags: OutgoingTags): string {
  const from = event.from;
  const command = event.kind === "notice" ? "NOTICE" : "PRIVMSG";
  // Not formatLine: a payload is not cut at the wire's 512 bytes, pushPayload fits it to its own limit.
  return formatMessageLine(`${from.nick}!${from.username}@${from.hostname}`, command, [event.target, text], tags);
}

/**
 * The payload of a draft/webpush notification: the message as one IRC line, tagged with
 * msgid, time and account, within `maxBytes` (what one encrypted push record can carry).
 * When it does not fit, the spec allows dropping tags but not msgid: time and account go
 * first, then the text is cut (on a character boundary, after a space when it can).
 */
export function pushPayload(event: MessageEvent, maxBytes: number): string {
  const msgid: [string, string] = ["msgid", event.msgid];
  const full: Array<[string, string]> = [msgid, ["time", serverTime(event.time)]];
  if (event.from.account !== null) full.push(["account", event.from.account]);
  const whole = line(event, event.text, full);
  if (Buffer.byteLength(whole) <= maxBytes) return whole;
  const bare = line(event, event.text, [msgid]);
  const overflow = Buffer.byteLength(bare) - maxBytes;
  if (overflow <= 0) return bare;
  const room = Buffer.byteLength(event.text) - overflow;
  // splitText never cuts below one 4-byte character; with less room than that, no text fits.
  return line(event, room < 4 ? "" : splitText(event.text, room)[0]!, [msgid]);
}
