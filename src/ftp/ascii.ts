import { Transform, type TransformCallback } from "node:stream";

/** TYPE A sending: LF → CRLF (a CR already before the LF is kept as is). */
export function toNetworkAscii(): Transform {
  let lastWasCr = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const out: number[] = [];
      for (const byte of chunk) {
        if (byte === 0x0a && !lastWasCr) out.push(0x0d);
        out.push(byte);
        lastWasCr = byte === 0x0d;
      }
      callback(null, Buffer.from(out));
    },
  });
}

/** TYPE A receiving: CRLF → LF. A CR at a chunk's end waits to see the next byte. */
export function fromNetworkAscii(): Transform {
  let pendingCr = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const out: number[] = [];
      for (const byte of chunk) {
        if (pendingCr) {
          if (byte !== 0x0a) out.push(0x0d);
          pendingCr = false;
        }
        if (byte === 0x0d) pendingCr = true;
        else out.push(byte);
      }
      callback(null, Buffer.from(out));
    },
    flush(callback: TransformCallback) {
      callback(null, pendingCr ? Buffer.from([0x0d]) : null);
    },
  });
}

/**
 * How many bytes toNetworkAscii makes of `source`: its own, plus a CR for each LF that
 * has none before it. SIZE in TYPE A answers this (RFC 3659 §4: the octets RETR would send).
 */
export async function networkAsciiLength(source: AsyncIterable<Buffer>): Promise<number> {
  let length = 0;
  let lastWasCr = false;
  for await (const chunk of source) {
    length += chunk.length;
    for (const byte of chunk) {
      if (byte === 0x0a && !lastWasCr) length++;
      lastWasCr = byte === 0x0d;
    }
  }
  return length;
}
