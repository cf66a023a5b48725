import { isUtf8 } from "node:buffer";

const LF = 0x0a;
const CR = 0x0d;
const FIN = 0x80;

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

function headerLength(payload: number): number {
  return payload < 126 ? 2 : payload < 0x10000 ? 4 : 10;
}

function writeHeader(out: Buffer, at: number, opcode: number, payload: number): number {
  out[at] = FIN | opcode;
  if (payload < 126) {
    out[at + 1] = payload;
    return at + 2;
  }
  if (payload < 0x10000) {
    out[at + 1] = 126;
    out.writeUInt16BE(payload, at + 2);
    return at + 4;
  }
  out[at + 1] = 127;
  out.writeBigUInt64BE(BigInt(payload), at + 2);
  return at + 10;
}

/** The end (exclusive) of the line starting at `start`, its CRLF or LF left out, and where the next one starts. */
function lineAt(lines: Buffer, start: number): { end: number; next: number } {
  const lf = lines.indexOf(LF, start);
  if (lf === -1) return { end: lines.length, next: lines.length };
  return { end: lf > start && lines[lf - 1] === CR ? lf - 1 : lf, next: lf + 1 };
}

/**
 * Turns IRC lines (each ended by CRLF) into one final WebSocket frame per line,
 * without the CRLF, as the IRCv3 WebSocket spec wants. A server's frames are never
 * masked (RFC 6455 §5.1), so the result is the same for every recipient and fan-out
 * can frame an event once and write the same bytes to every WebSocket.
 *
 * Text frames must hold UTF-8: what the server writes comes from JavaScript strings
 * and always is, but if anything ever is not, it is replaced with U+FFFD rather than
 * letting the browser drop the connection (the spec allows exactly that).
 */
export function frameLines(input: Buffer, opcode: typeof OPCODE_TEXT | typeof OPCODE_BINARY): Buffer {
  const lines = opcode === OPCODE_TEXT && !isUtf8(input) ? Buffer.from(input.toString("utf8")) : input;
  // One line, the usual case: no scan beyond the first LF.
  const first = lineAt(lines, 0);
  if (first.next >= lines.length) {
    const payload = first.end;
    const out = Buffer.allocUnsafe(headerLength(payload) + payload);
    lines.copy(out, writeHeader(out, 0, opcode, payload), 0, payload);
    return out;
  }
  let size = 0;
  for (let start = 0; start < lines.length; ) {
    const { end, next } = lineAt(lines, start);
    size += headerLength(end - start) + (end - start);
    start = next;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let start = 0; start < lines.length; ) {
    const { end, next } = lineAt(lines, start);
    at = writeHeader(out, at, opcode, end - start);
    at += lines.copy(out, at, start, end);
    start = next;
  }
  return out;
}
