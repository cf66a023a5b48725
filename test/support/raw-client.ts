import net from "node:net";
import tls from "node:tls";

/**
 * A bare socket speaking IRC lines, for the edge cases a client library would
 * smooth over (hostile bytes, exact numerics, a client that stops reading).
 */
export class RawClient {
  readonly lines: string[] = [];
  #buffer = "";
  #waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.#onData(chunk));
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.once("close", () => (this.#closed = true));
    socket.on("error", () => {});
  }

  static connect(port: number, host = "127.0.0.1", options: { tls?: boolean; localAddress?: string } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = options.tls
        ? tls.connect({ port, host, rejectUnauthorized: false, ...(options.localAddress && { localAddress: options.localAddress }) })
        : net.connect({ port, host, ...(options.localAddress && { localAddress: options.localAddress }) });
      const client = new RawClient(socket);
      socket.once(options.tls ? "secureConnect" : "connect", () => resolve(client));
      socket.once("error", reject);
    });
  }

  /** Connects and registers with NICK/USER, resolving after the end of the welcome burst (376/422). */
  static async register(port: number, nick: string, host = "127.0.0.1", caps: readonly string[] = []): Promise<RawClient> {
    const client = await RawClient.connect(port, host);
    if (caps.length > 0) client.send(`CAP REQ :${caps.join(" ")}`);
    client.send(`NICK ${nick}`);
    client.send(`USER ${nick} 0 * :${nick} test`);
    if (caps.length > 0) client.send("CAP END");
    await client.waitFor(/ (376|422) /);
    return client;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  sendBytes(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let index: number;
    while ((index = this.#buffer.indexOf("\r\n")) !== -1) {
      const line = this.#buffer.slice(0, index);
      this.#buffer = this.#buffer.slice(index + 2);
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.test(line)) return true;
        waiter.resolve(line);
        return false;
      });
    }
  }

  /** Resolves with the first line (already received or still to come) that matches. */
  waitFor(pattern: RegExp | ((line: string) => boolean), timeoutMs = 5000): Promise<string> {
    const test = typeof pattern === "function" ? pattern : (line: string) => pattern.test(line);
    const seen = this.lines.find(test);
    if (seen !== undefined) {
      this.lines.splice(this.lines.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(pattern)}; got:\n${this.lines.join("\n")}`)), timeoutMs);
      this.#waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          this.lines.splice(this.lines.indexOf(line), 1);
          resolve(line);
        },
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
