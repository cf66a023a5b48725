import net from "node:net";

/**
 * A bare TCP client reading CRLF lines, for the targets that drive a real server: it
 * keeps no history (a long fuzz run would grow it without end), only waits for a line.
 */
export class LineClient {
  #buffer = "";
  #waiter: { test: (line: string) => boolean; resolve: () => void } | null = null;
  #closed = false;
  #onClose: (() => void) | null = null;
  /** Sees every line the server sends (before any waiter). */
  onLine: ((line: string) => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.#onData(chunk));
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

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let index: number;
    while ((index = this.#buffer.indexOf("\r\n")) !== -1) {
      const line = this.#buffer.slice(0, index);
      this.#buffer = this.#buffer.slice(index + 2);
      this.onLine?.(line);
      if (this.#waiter?.test(line)) this.#waiter.resolve();
    }
  }
}
