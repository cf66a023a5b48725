import type { MessageKind } from "./events.js";

/**
 * One maximum message size for every door (config `chat.maxMessageBytes`),
 * counted in UTF-8 bytes of the text; a line break of a multiline message is one
 * byte, as IRCv3 draft/multiline counts its max-bytes (which is kept within this). A message over it is refused whole, never
 * cut; one that fits is stored whole. How a protocol carries a long message (IRC
 * splits it over several lines) is the adapter's business.
 */
export function exceedsMessageSize(kind: MessageKind, text: string, limits: { readonly maxMessageBytes: number }): boolean {
  // Cheap first: a UTF-16 unit is at most 3 bytes of UTF-8, a surrogate pair 4 for 2 units.
  if (kind === "tagmsg" || text.length * 3 <= limits.maxMessageBytes) return false;
  return Buffer.byteLength(text) > limits.maxMessageBytes;
}
