import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { Readable, type Writable } from "node:stream";
import { STREAM_CHUNK } from "./file-upload.js";

/**
 * Read buffers kept for the next download once the socket is done with them, in two sizes:
 * SMALL_BUFFER for small files, STREAM_CHUNK for the rest. A ReadStream allocates a new
 * buffer for every read, and malloc takes that memory from the kernel again and again:
 * measured, 13 page faults per 64 KiB file in ftp-many and 256 per MB of a big RETR (in
 * this VM each costs microseconds), plus external memory for V8 to collect. Kept at most
 * 4 MiB of each size between downloads.
 */
class BufferShelf {
  readonly #kept: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.#kept.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  giveBack(buffer: Buffer): void {
    if (this.#kept.length < this.keep) this.#kept.push(buffer);
  }
}

const SMALL_BUFFER = 64 * 1024;
const small = new BufferShelf(SMALL_BUFFER, 64);
const large = new BufferShelf(STREAM_CHUNK, 4);

function takeBuffer(bytes: number): Buffer {
  return bytes <= SMALL_BUFFER ? small.take() : large.take();
}

function giveBack(buffer: Buffer): void {
  if (buffer.length === SMALL_BUFFER) small.giveBack(buffer);
  else if (buffer.length === STREAM_CHUNK) large.giveBack(buffer);
}

/** Resolves once `socket` has taken `chunk` (the write callback): the buffer may be reused then, not before. */
function written(socket: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * A file opened for reading, its jail already checked (FileSpace), with the part to send:
 * `length` bytes from `start` (length 0: nothing). Sent either as a stream (`stream()`, for
 * a stage in between such as ASCII conversion, or HTTP) or straight to a socket (`sendTo`).
 * `close()` releases it whatever was done with it; safe to call more than once.
 */
export class OpenedFile {
  #stream: Readable | null = null;
  #closed = false;

  constructor(
    private readonly handle: FileHandle,
    /** The file's size when opened (fstat). */
    readonly size: number,
    readonly start: number,
    readonly length: number,
  ) {}

  /**
   * The bytes as a stream, which owns the handle from then on and closes it when done or
   * destroyed. Bounded by the size fstat gave, reading at most STREAM_CHUNK at once: a
   * small file is one right-sized read, not a 1 MiB buffer plus an extra read to find the end.
   */
  stream(): Readable {
    if (this.length <= 0) {
      this.close().catch(() => {});
      this.#stream = Readable.from([]);
    } else {
      this.#stream = createReadStream("", { fd: this.handle, start: this.start, end: this.start + this.length - 1, highWaterMark: Math.min(STREAM_CHUNK, this.length), autoClose: true });
    }
    return this.#stream;
  }

  /**
   * Writes the bytes to `socket` (not ended: the caller ends the connection), `sent` told
   * each chunk's size as it is handed over. Two buffers take turns, reused from one download
   * to the next: one is read into while the socket takes the other, and the socket is never
   * more than two reads behind. Ends early, without an error, if the file shrank meanwhile.
   */
  async sendTo(socket: Writable, sent: (bytes: number) => void): Promise<void> {
    const chunk = Math.min(STREAM_CHUNK, this.length);
    if (chunk <= 0) return;
    const buffers: Buffer[] = [];
    const inFlight: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    let position = this.start;
    let left = this.length;
    try {
      for (let turn = 0; left > 0; turn ^= 1) {
        // The socket must be done with this buffer before it is read into again.
        await inFlight[turn];
        const buffer = (buffers[turn] ??= takeBuffer(chunk));
        const { bytesRead } = await this.handle.read(buffer, 0, Math.min(buffer.length, left), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        left -= bytesRead;
        // Only the bytes just read: what a reused buffer held before (another file) never goes out.
        const promise = written(socket, bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
        // Settled below in any case; an error here is not unhandled meanwhile.
        promise.catch(() => {});
        inFlight[turn] = promise;
        sent(bytesRead);
      }
      await Promise.all(inFlight);
    } finally {
      // A buffer goes back only once the socket has let go of it (written, failed or destroyed).
      await Promise.allSettled(inFlight);
      for (const buffer of buffers) giveBack(buffer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stream) this.#stream.destroy();
    else await this.handle.close();
  }
}
