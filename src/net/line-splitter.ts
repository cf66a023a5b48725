const LF = 0x0a;
const CR = 0x0d;

export interface LineSink {
  /** A complete line without its terminator; never empty, never longer than the limit. */
  line(bytes: Buffer): void;
  /** A line went over the limit; its bytes were dropped up to the next terminator. */
  overflow(): void;
}

/**
 * Frames a byte stream into lines ended by CR, LF or CRLF, with a hard byte limit.
 * Treating a lone CR as an end of line means a CR can never hide inside a line
 * that is later relayed to another client.
 */
export class LineSplitter {
  #pending: Buffer | null = null;
  #discarding = false;

  constructor(
    private maxBytes: number,
    private readonly sink: LineSink,
  ) {}

  setLimit(maxBytes: number): void {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    let data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = null;
    let start = 0;
    for (;;) {
      const end = nextTerminator(data, start);
      if (end === -1) break;
      this.#emit(data, start, end);
      // CRLF ends one line: step over both rather than find an empty line between them.
      start = data[end] === CR && data[end + 1] === LF ? end + 2 : end + 1;
    }
    if (start >= data.length) return;
    const rest = data.length - start;
    if (this.#discarding) return;
    if (rest > this.maxBytes) {
      this.#discarding = true;
      this.sink.overflow();
      return;
    }
    // Copy so the (possibly large) socket chunk is not kept alive by a small tail.
    data = data.subarray(start);
    this.#pending = Buffer.from(data);
  }

  #emit(data: Buffer, start: number, end: number): void {
    if (this.#discarding) {
      this.#discarding = false;
      return;
    }
    const length = end - start;
    if (length === 0) return;
    if (length > this.maxBytes) {
      this.sink.overflow();
      return;
    }
    this.sink.line(data.subarray(start, end));
  }
}

function nextTerminator(data: Buffer, from: number): number {
  const lf = data.indexOf(LF, from);
  // Only look for CR before the LF we found: most lines end in CRLF or LF.
  const crEnd = lf === -1 ? data.length : lf;
  if (crEnd === from) return lf;
  const cr = data.subarray(from, crEnd).indexOf(CR);
  if (cr !== -1) return from + cr;
  return lf;
}
