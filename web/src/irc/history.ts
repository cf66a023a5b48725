import type { Batch } from "./batches.js";
import type { IrcMessage } from "./irc-line.js";
import type { IrcClient } from "./irc-client.js";

/** A point in a conversation's history: a message id, or a time (ISO 8601). */
export type HistoryRef = { readonly msgid: string } | { readonly time: string };

export interface HistoryTarget {
  /** A channel, or the nick of the other side of a direct conversation. */
  readonly name: string;
  /** ISO time of its latest message. */
  readonly latest: string;
}

export class HistoryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A request that got no answer in this long has been lost with its connection. */
const REQUEST_TIMEOUT_MS = 20_000;

interface Pending {
  readonly key: string;
  readonly line: { command: string; params: string[] };
  readonly resolve: (batch: Batch) => void;
  readonly reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | null;
  sent: boolean;
}

function refParam(ref: HistoryRef | null): string {
  if (ref === null) return "*";
  return "msgid" in ref ? `msgid=${ref.msgid}` : `timestamp=${ref.time}`;
}

/**
 * IRCv3 chathistory requests as promises. The server answers a request with a
 * `chathistory <target>` batch (or `draft/chathistory-targets`), or a FAIL naming the
 * target; requests for one target go one at a time, so each answer finds its request.
 */
export class ChatHistory {
  readonly #queues = new Map<string, Pending[]>();
  /**
   * Whether a request about `target` is for the user now (the conversation on screen) or
   * background sync, which waits behind the user's lines in the client's send queue.
   */
  isUrgent: (target: string) => boolean = () => true;

  constructor(private readonly client: IrcClient) {
    client.on("batch", (batch) => this.#onBatch(batch));
    client.on("message", (message) => this.#onMessage(message));
    client.on("status", (status) => {
      if (status.state !== "ready") this.#failAll(new HistoryError("DISCONNECTED", "The connection was lost"));
    });
  }

  get available(): boolean {
    return this.client.caps.has("draft/chathistory") && this.client.caps.has("batch") && this.client.isupport.chathistoryMax > 0;
  }

  /** The most messages one request may ask for. */
  get pageSize(): number {
    return Math.max(1, Math.min(100, this.client.isupport.chathistoryMax || 100));
  }

  latest(target: string, limit: number, after: HistoryRef | null = null): Promise<Batch> {
    return this.#request(target, ["LATEST", target, refParam(after), String(limit)]);
  }

  before(target: string, ref: HistoryRef, limit: number): Promise<Batch> {
    return this.#request(target, ["BEFORE", target, refParam(ref), String(limit)]);
  }

  after(target: string, ref: HistoryRef, limit: number): Promise<Batch> {
    return this.#request(target, ["AFTER", target, refParam(ref), String(limit)]);
  }

  around(target: string, ref: HistoryRef, limit: number): Promise<Batch> {
    return this.#request(target, ["AROUND", target, refParam(ref), String(limit)]);
  }

  /** Conversations with a message between two times, with the time of their latest. */
  async targets(from: string, to: string, limit: number): Promise<HistoryTarget[]> {
    const batch = await this.#request("\u0000targets", ["TARGETS", `timestamp=${from}`, `timestamp=${to}`, String(limit)]);
    const found: HistoryTarget[] = [];
    for (const item of batch.items) {
      if ("items" in item || item.command !== "CHATHISTORY" || item.params[0]?.toUpperCase() !== "TARGETS") continue;
      const name = item.params[1];
      const time = (item.params[2] ?? "").replace(/^timestamp=/, "");
      if (name) found.push({ name, latest: time });
    }
    return found;
  }

  #keyOf(target: string): string {
    return target === "\u0000targets" ? target : this.client.fold(target);
  }

  #request(target: string, params: string[]): Promise<Batch> {
    if (!this.client.isReady) return Promise.reject(new HistoryError("DISCONNECTED", "Not connected"));
    if (!this.available) return Promise.reject(new HistoryError("UNAVAILABLE", "The server keeps no history"));
    const key = this.#keyOf(target);
    return new Promise((resolve, reject) => {
      const pending: Pending = { key, line: { command: "CHATHISTORY", params }, resolve, reject, timer: null, sent: false };
      let queue = this.#queues.get(key);
      if (!queue) this.#queues.set(key, (queue = []));
      queue.push(pending);
      if (queue.length === 1) this.#sendHead(key);
    });
  }

  #sendHead(key: string): void {
    const head = this.#queues.get(key)?.[0];
    if (!head || head.sent) return;
    head.sent = true;
    // The wait for the answer starts when the line leaves: it may first wait in the send queue.
    const onWritten = (): void => {
      if (this.#queues.get(key)?.[0] === head) head.timer = setTimeout(() => this.#settle(key, null, new HistoryError("TIMEOUT", "The server did not answer")), REQUEST_TIMEOUT_MS);
    };
    const background = head.line.params[0] !== "TARGETS" && !this.isUrgent(head.line.params[1] ?? "");
    if (!this.client.send(head.line.command, head.line.params, null, { background, onWritten })) this.#settle(key, null, new HistoryError("DISCONNECTED", "Not connected"));
  }

  #settle(key: string, batch: Batch | null, error: Error | null): void {
    const queue = this.#queues.get(key);
    const head = queue?.shift();
    if (!queue || !head) return;
    if (head.timer) clearTimeout(head.timer);
    if (queue.length === 0) this.#queues.delete(key);
    if (batch) head.resolve(batch);
    else head.reject(error ?? new HistoryError("UNKNOWN", "History request failed"));
    this.#sendHead(key);
  }

  #onBatch(batch: Batch): void {
    if (batch.type === "chathistory") this.#settle(this.#keyOf(batch.params[0] ?? ""), batch, null);
    else if (batch.type === "draft/chathistory-targets") this.#settle("\u0000targets", batch, null);
  }

  #onMessage(message: IrcMessage): void {
    if (message.command !== "FAIL" || message.params[0] !== "CHATHISTORY") return;
    const [, code = "UNKNOWN", subcommand = "", target] = message.params;
    const description = message.params[message.params.length - 1] ?? "History request failed";
    const error = new HistoryError(code, description);
    const key = subcommand.toUpperCase() === "TARGETS" ? "\u0000targets" : target !== undefined && message.params.length > 4 ? this.#keyOf(target) : null;
    if (key !== null && this.#queues.has(key)) return this.#settle(key, null, error);
    // A FAIL without a target we know: it answers the oldest request still out.
    const oldest = [...this.#queues.keys()][0];
    if (oldest !== undefined) this.#settle(oldest, null, error);
  }

  #failAll(error: Error): void {
    for (const [key, queue] of [...this.#queues]) {
      this.#queues.delete(key);
      for (const pending of queue) {
        if (pending.timer) clearTimeout(pending.timer);
        pending.reject(error);
      }
    }
  }
}
