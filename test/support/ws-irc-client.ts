/**
 * An IRC client over WebSocket built on the `ws` library, the way a browser talks to
 * /ws: one IRC line per message. Every received message is kept as it came (text or
 * binary, the exact payload) so tests can check the framing itself.
 */
import { WebSocket, type ClientOptions } from "ws";

export interface ReceivedMessage {
  readonly text: string;
  readonly binary: boolean;
}

export interface WsConnectOptions {
  /** Subprotocols offered, in order of preference; none by default. */
  readonly protocols?: readonly string[];
  readonly origin?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly path?: string;
}

/** A handshake the server refused: its HTTP status, headers and body. */
export class RefusedUpgrade extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string | string[] | undefined>>,
    readonly body: string,
  ) {
    super(`upgrade refused with ${status}: ${body}`);
  }
}

export class WsIrcClient {
  readonly messages: ReceivedMessage[] = [];
  #waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = [];
  #consumed = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  #isClosed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, binary: boolean) => this.#onMessage(data.toString("utf8"), binary));
    this.closed = new Promise((resolve) =>
      ws.once("close", (code: number, reason: Buffer) => {
        this.#isClosed = true;
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on("error", () => {});
  }

  /** Opens the WebSocket; rejects with RefusedUpgrade when the server answers the handshake with an HTTP error. */
  static connect(port: number, options: WsConnectOptions = {}): Promise<WsIrcClient> {
    const clientOptions: ClientOptions = { headers: { ...options.headers } };
    if (options.origin !== undefined) clientOptions.origin = options.origin;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${options.path ?? "/ws"}`, [...(options.protocols ?? [])], clientOptions);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new WsIrcClient(ws)));
      ws.once("unexpected-response", (_request, response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => reject(new RefusedUpgrade(response.statusCode ?? 0, response.headers, body)));
      });
      ws.once("error", reject);
    });
  }

  /** Connects and registers with NICK/USER, resolving after the end of the welcome burst (376/422). */
  static async register(port: number, nick: string, options: WsConnectOptions = {}): Promise<WsIrcClient> {
    const client = await WsIrcClient.connect(port, options);
    client.send(`NICK ${nick}`);
    client.send(`USER ${nick} 0 * :${nick} over websocket`);
    await client.waitFor(/ (376|422) /);
    return client;
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** The text of every message received, in order. */
  get lines(): string[] {
    return this.messages.map((message) => message.text);
  }

  /** One WebSocket message, exactly as given (no CRLF added): text frames unless the binary subprotocol was agreed. */
  send(line: string | Buffer): void {
    this.ws.send(line, { binary: this.protocol === "binary.ircv3.net" || Buffer.isBuffer(line) });
  }

  #onMessage(text: string, binary: boolean): void {
    this.messages.push({ text, binary });
    const index = this.#waiters.findIndex((w) => w.test(text));
    if (index !== -1) this.#waiters.splice(index, 1)[0]!.resolve(text);
  }

  /** Resolves with the first matching line not yet returned by an earlier waitFor, received or still to come. */
  waitFor(pattern: RegExp | ((line: string) => boolean), timeoutMs = 5000): Promise<string> {
    const test = typeof pattern === "function" ? pattern : (line: string): boolean => pattern.test(line);
    for (let i = this.#consumed; i < this.messages.length; i++) {
      if (test(this.messages[i]!.text)) {
        this.#consumed = i + 1;
        return Promise.resolve(this.messages[i]!.text);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          this.#consumed = this.messages.length;
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${String(pattern)}; last messages:\n${this.lines.slice(-20).join("\n")}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Everything the server wrote before handling this PING has arrived when this resolves. */
  async sync(token = `sync${Date.now()}${Math.random().toString(36).slice(2)}`): Promise<void> {
    this.send(`PING ${token}`);
    await this.waitFor((line) => / PONG /.test(line) && line.endsWith(token));
  }

  close(): void {
    if (!this.#isClosed) this.ws.terminate();
  }
}
