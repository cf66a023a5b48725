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
    // The next LF and CR at or after `start` (-1: none left in this data; below `start`:
    // look again). Kept between lines, so a chunk of LF-only or CR-only lines is searched
    // once for the other byte, not once per line (which made CR-only input quadratic).
    let lf = -2;
    let cr = -2;
    for (;;) {
      if (lf !== -1 && lf < start) lf = data.indexOf(LF, start);
      if (cr !== -1 && cr < start) cr = data.indexOf(CR, start);
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
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
