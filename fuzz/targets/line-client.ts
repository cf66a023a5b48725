import { isUtf8 } from "node:buffer";
import net from "node:net";

/**
 * A bare TCP client reading CRLF lines, for the targets that drive a real server: it
 * keeps no history (a long fuzz run would grow it without end), only waits for a line.
 */
export class LineClient {
  #buffer: Buffer = Buffer.alloc(0);
  #waiter: { test: (line: string) => boolean; resolve: () => void } | null = null;
  #closed = false;
  #onClose: (() => void) | null = null;
  /** Sees every line the server sends (before any waiter), and whether its bytes were UTF-8. */
  onLine: ((line: string, utf8: boolean) => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => undefined);
    socket.once("close", () => {
      this.#closed = true;
      this.#onClose?.();
    });
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => resolve(new LineClient(socket)));
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Buffer | string): void {
    if (!this.#closed) this.socket.write(bytes);
  }

  /**
   * Resolves "line" when a line matching `test` arrives, "closed" when the server closes
   * the connection first, "timeout" after `timeoutMs`.
   */
  waitFor(test: (line: string) => boolean, timeoutMs: number): Promise<"line" | "closed" | "timeout"> {
    if (this.#closed) return Promise.resolve("closed");
    return new Promise((resolve) => {
      const done = (outcome: "line" | "closed" | "timeout"): void => {
        clearTimeout(timer);
        this.#waiter = null;
        this.#onClose = null;
        resolve(outcome);
      };
      const timer = setTimeout(() => done("timeout"), timeoutMs);
      this.#waiter = { test, resolve: () => done("line") };
      this.#onClose = () => done("closed");
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let start = 0;
    let end: number;
    while ((end = this.#buffer.indexOf("\r\n", start)) !== -1) {
      const bytes = this.#buffer.subarray(start, end);
      start = end + 2;
      const line = bytes.toString("utf8");
      this.onLine?.(line, isUtf8(bytes));
      if (this.#waiter?.test(line)) this.#waiter.resolve();
    }
    this.#buffer = Buffer.from(this.#buffer.subarray(start));
  }
}
