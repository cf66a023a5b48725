import type { StoredMessage } from "../core/chat/history.js";
import { VARIANT_BITS } from "./capabilities.js";
import { serverTime } from "./event-lines.js";
import { textMessageLines } from "./message-lines.js";

/**
 * A stored message written for one client, like the live line(s) it got (or would
 * have got), inside `batch`: several lines, or a draft/multiline batch nested in
 * `batch`, when the text has line breaks or does not fit one line.
 *
 * `requested`: the client asked for history (CHATHISTORY). History without its time
 * is useless, so such a client gets `time` even without server-time. A replay the
 * client did not ask for (offline messages at login) carries only the tags it
 * negotiated: a client with no tag capability (ii, python3-irc) gets none at all.
 */
export function storedMessageLine(message: StoredMessage, variant: number, batch: string | null, requested: boolean): string {
  const tags: Array<[string, string]> = [];
  if (batch) tags.push(["batch", batch]);
  if (requested || variant & (VARIANT_BITS["server-time"] | VARIANT_BITS["message-tags"])) tags.push(["time", serverTime(message.time)]);
  if (variant & VARIANT_BITS["message-tags"]) {
    tags.push(["msgid", message.msgid]);
    if (message.tags) for (const entry of Object.entries(message.tags)) tags.push(entry);
  }
  if (variant & VARIANT_BITS["account-tag"] && message.senderAccount) tags.push(["account", message.senderAccount]);
  const command = message.kind === "notice" ? "NOTICE" : "PRIVMSG";
  const multiline = variant & VARIANT_BITS["draft/multiline"] ? message.msgid : null;
  return textMessageLines(`${message.senderNick}!${message.senderMask}`, command, message.targetDisplay, message.text, tags, multiline);
}
