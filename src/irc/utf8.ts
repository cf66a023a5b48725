/**
 * UTF-8 measures and cuts shared by the server and the browser client (no Node or DOM
 * API beyond TextEncoder/TextDecoder, which both have).
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The fewest bytes a piece is made to carry, whatever the room (one 4-byte character). */
const MIN_ROOM = 4;

/** UTF-8 length of `text`, counted without encoding it (lone surrogates count 3, as the encoder writes U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/**
 * Cuts `text` into pieces of at most `room` bytes of UTF-8 whose concatenation is
 * `text` exactly: never inside a character, and after a space when there is one in
 * the second half of the piece (the space stays at the end of the piece, so words
 * are not broken and nothing is lost or added).
 */
export function splitUtf8(text: string, room: number): string[] {
  // Every UTF-16 unit is at most 3 bytes: most messages are decided without counting.
  if (text.length * 3 <= room || utf8Length(text) <= room) return [text];
  const bytes = encoder.encode(text);
  const limit = Math.max(room, MIN_ROOM);
  const pieces: string[] = [];
  let start = 0;
  while (bytes.length - start > limit) {
    let end = start + limit;
    // bytes[end] starts the next piece: step back off UTF-8 continuation bytes (10xxxxxx).
    while (end > start && (bytes[end]! & 0xc0) === 0x80) end--;
    const space = bytes.lastIndexOf(0x20, end - 1);
    if (space >= start + (limit >> 1)) end = space + 1;
    pieces.push(decoder.decode(bytes.subarray(start, end)));
    start = end;
  }
  pieces.push(decoder.decode(bytes.subarray(start)));
  return pieces;
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8, never cut inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes) return text;
  const bytes = encoder.encode(text);
  let end = maxBytes;
  // bytes[end] is the first byte left out: step back while it continues a character (10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}
