import { BatchAssembler, type Batch } from "./batches.js";
import { backoffDelay } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { formatClientLine, parseMessage, type IrcMessage, type OutgoingTags } from "./irc-line.js";
import { Isupport } from "./isupport.js";
import { authenticateChunks, oauthBearerResponse } from "./sasl.js";
import { foldName, type CaseMapping } from "./casemap.js";
import { SendPacer, type SendOptions } from "./send-pacer.js";
import { background } from "../background.js";

export { SEND_BURST_LINES, SEND_LINES_PER_SECOND, type SendOptions } from "./send-pacer.js";

/** Where the connection is; the UI shows it, the state layer reacts to `ready`. */
export type ConnectionStatus =
  | { readonly state: "connecting"; readonly attempt: number }
  | { readonly state: "ready" }
  | { readonly state: "waiting"; readonly retryAt: number; readonly reason: string }
  | { readonly state: "stopped"; readonly reason: string };

/** The IRCv3 capabilities the client asks for when the server offers them. */
export const WANTED_CAPS = [
  "message-tags",
  "server-time",
  "echo-message",
  "batch",
  "labeled-response",
  "draft/chathistory",
  "draft/read-marker",
  "draft/multiline",
  "draft/message-redaction",
  "away-notify",
  "account-tag",
  "extended-join",
  "multi-prefix",
  "cap-notify",
  "sasl",
  "draft/webpush",
] as const;

export interface IrcClientOptions {
  /** The WebSocket URL of the server's `/ws`. */
  readonly url: string;
  readonly nick: string;
  readonly realname: string;
  /** A valid access token for SASL OAUTHBEARER (refreshed by the caller when needed). */
  getToken(): Promise<string>;
  /**
   * SASL was refused (a revoked or expired token): the caller refreshes its session and
   * says whether to try again; false stops the client.
   */
  onAuthFailure(): Promise<boolean>;
}

export interface IrcClientEvents extends Record<string, unknown> {
  status: ConnectionStatus;
  /** Registration is complete (end of MOTD): the connection is usable. */
  ready: { readonly nick: string; readonly reconnect: boolean };
  /** A line outside any batch. */
  message: IrcMessage;
  /** A top-level batch, whole. */
  batch: Batch;
}

/** No line for this long: ask the server with a PING. */
const IDLE_PING_MS = 45_000;
/** No answer to that PING for this long: the connection is dead (a silent network loss). */
const PING_TIMEOUT_MS = 20_000;
/** Registration (WebSocket open to end of MOTD) must not take longer. */
const REGISTRATION_TIMEOUT_MS = 30_000;

/**
 * One IRC connection to our server over WebSocket (IRCv3 WebSocket, subprotocol
 * text.ircv3.net), kept up: CAP LS 302 negotiation, SASL OAUTHBEARER with the access
 * token, keep-alive PINGs, batches assembled, and after any loss a new connection
 * after an exponential back-off with jitter. It knows nothing of conversations:
 * the state layer listens to its events.
 */
export class IrcClient extends Emitter<IrcClientEvents> {
  readonly isupport = new Isupport();
  /** Capabilities the server offers (name → value), from CAP LS / NEW / DEL. */
  readonly offeredCaps = new Map<string, string>();
  /** Capabilities enabled on the current connection. */
  readonly caps = new Set<string>();
  #status: ConnectionStatus = { state: "stopped", reason: "not started" };
  #nick: string;
  #socket: WebSocket | null = null;
  #generation = 0;
  #attempt = 0;
  #everReady = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #keepAliveTimer: ReturnType<typeof setInterval> | null = null;
  #registrationTimer: ReturnType<typeof setTimeout> | null = null;
  #lastReceived = 0;
  #pingSentAt = 0;
  #labelCounter = 0;
  readonly #sendQueue = new SendPacer((line) => this.#writeLine(line));
  #batches = new BatchAssembler();
  #capLsDone = false;
  #closeReason = "";
  #authenticating = false;
  readonly #onOnline = (): void => this.#retryNow();
  /**
   * The browser says the network is gone: the socket may still look open (a silent loss
   * is otherwise noticed only when a keep-alive PING goes unanswered, a minute later),
   * so it is given up at once; `online` reconnects without waiting for the back-off.
   */
  readonly #onOffline = (): void => {
    if (this.#socket) this.#drop("the network is offline");
  };

  constructor(private readonly options: IrcClientOptions) {
    super();
    this.#nick = options.nick;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get nick(): string {
    return this.#nick;
  }

  get isReady(): boolean {
    return this.#status.state === "ready";
  }

  get caseMapping(): CaseMapping {
    const value = this.isupport.get("CASEMAPPING");
    return value === "rfc1459" || value === "strict-rfc1459" ? value : "ascii";
  }

  fold(name: string): string {
    return foldName(name, this.caseMapping);
  }

  isMe(nick: string): boolean {
    return this.fold(nick) === this.fold(this.#nick);
  }

  start(): void {
    if (this.#status.state !== "stopped") return;
    window.addEventListener("online", this.#onOnline);
    window.addEventListener("offline", this.#onOffline);
    this.#connect();
  }

  /** Ends the connection for good (sign-out): QUIT, close, no reconnect. */
  stop(reason = "Signed out"): void {
    window.removeEventListener("online", this.#onOnline);
    window.removeEventListener("offline", this.#onOffline);
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    this.#generation++;
    if (socket) {
      if (socket.readyState === WebSocket.OPEN) socket.send(formatClientLine("QUIT", [reason]));
      socket.close(1000);
    }
    this.caps.clear();
    this.#setStatus({ state: "stopped", reason });
  }

  /** Drops the current connection and reconnects at once (e.g. "Reconnect now"). */
  #retryNow(): void {
    if (this.#status.state === "waiting") {
      if (this.#retryTimer) clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#connect();
    }
  }

  reconnectNow(): void {
    this.#retryNow();
  }

  /** A fresh label for a labelled command (labeled-response). */
  nextLabel(): string {
    return `w${++this.#labelCounter}`;
  }

  /**
   * Sends one line when the connection is registered; returns false otherwise (no
   * connection, or one still registering: the server would refuse the line with 451).
   * The line may wait in the send queue (SEND_BURST_LINES, SEND_LINES_PER_SECOND); a
   * connection lost meanwhile takes it along, as it would a line in flight.
   */
  send(command: string, params: readonly string[], tags: OutgoingTags | null = null, options: SendOptions = {}): boolean {
    if (!this.isReady || !this.#socketOpen()) return false;
    this.#sendQueue.push(this.#format(command, params, tags), options);
    return true;
  }

  /** Lines waiting in the send queue (for tests and the curious). */
  get queuedLines(): number {
    return this.#sendQueue.queuedLines;
  }

  #socketOpen(): boolean {
    return this.#socket !== null && this.#socket.readyState === WebSocket.OPEN;
  }

  #format(command: string, params: readonly string[], tags: OutgoingTags | null): string {
    // Client-only tags (+typing, +draft/reply…) mean nothing to a server without message-tags: left off.
    const usable = tags && !this.caps.has("message-tags") ? tags.filter(([key]) => !key.startsWith("+")) : tags;
    return formatClientLine(command, params, usable && usable.length > 0 ? usable : null);
  }

  /** Writes one line on an open socket at once, registered or not (the registration's own lines, PONG). */
  #write(command: string, params: readonly string[], tags: OutgoingTags | null = null): boolean {
    return this.#writeLine(this.#format(command, params, tags));
  }

  /** Writes a formatted line on an open socket at once; false when there is none. */
  #writeLine(line: string): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(line);
    return true;
  }

  #connect(): void {
    this.#clearTimers();
    const generation = ++this.#generation;
    this.#batches.reset();
    this.caps.clear();
    this.offeredCaps.clear();
    this.isupport.clear();
    this.#capLsDone = false;
    this.#authenticating = false;
    this.#closeReason = "";
    this.#nick = this.options.nick;
    this.#setStatus({ state: "connecting", attempt: this.#attempt });
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.options.url, ["text.ircv3.net"]);
    } catch (error) {
      this.#scheduleRetry(error instanceof Error ? error.message : "cannot connect");
      return;
    }
    this.#socket = socket;
    socket.binaryType = "arraybuffer";
    this.#registrationTimer = setTimeout(() => {
      if (generation === this.#generation) this.#drop("registration timed out");
    }, REGISTRATION_TIMEOUT_MS);
    socket.onopen = () => {
      if (generation !== this.#generation) return;
      this.#lastReceived = Date.now();
      this.#write("CAP", ["LS", "302"]);
      this.#write("NICK", [this.#nick]);
      this.#write("USER", [this.#nick, "0", "*", this.options.realname]);
    };
    socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
      if (generation !== this.#generation) return;
      const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
      this.#lastReceived = Date.now();
      this.#pingSentAt = 0;
      // One IRC message per WebSocket message; tolerate a server that still sends CRLF.
      for (const line of text.split(/\r?\n/)) if (line !== "") this.#receive(line);
    };
    socket.onclose = () => {
      if (generation !== this.#generation) return;
      this.#socket = null;
      this.#scheduleRetry(this.#closeReason || "connection lost");
    };
    socket.onerror = () => {
      // A close event always follows; nothing to do here.
    };
  }

  #drop(reason: string): void {
    const socket = this.#socket;
    this.#closeReason = reason;
    this.#socket = null;
    this.#generation++;
    socket?.close();
    this.#scheduleRetry(reason);
  }

  #scheduleRetry(reason: string): void {
    this.#clearTimers();
    this.caps.clear();
    const delay = backoffDelay(this.#attempt++);
    const retryAt = Date.now() + delay;
    this.#setStatus({ state: "waiting", retryAt, reason });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
  }

  #clearTimers(): void {
    this.#sendQueue.clear();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#keepAliveTimer) clearInterval(this.#keepAliveTimer);
    if (this.#registrationTimer) clearTimeout(this.#registrationTimer);
    this.#retryTimer = this.#keepAliveTimer = this.#registrationTimer = null;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.emit("status", status);
  }

  #receive(line: string): void {
    const message = parseMessage(line);
    if (!message) return;
    if (this.#handleConnectionLine(message)) return;
    const complete = this.#batches.accept(message);
    if (complete === null) return;
    if ("items" in complete) this.emit("batch", complete);
    else this.emit("message", complete);
  }

  /** Lines about the connection itself; true when fully handled here. */
  #handleConnectionLine(message: IrcMessage): boolean {
    const p = message.params;
    switch (message.command) {
      case "PING":
        this.#write("PONG", p.slice(0, 1));
        return true;
      case "PONG":
        return true;
      case "ERROR":
        this.#closeReason = p[0] ?? "closed by the server";
        return true;
      case "CAP":
        this.#onCap(message);
        return true;
      case "AUTHENTICATE":
        if (p[0] === "+") background(this.#sendToken());
        return true;
      case "001":
        if (p[0]) this.#nick = p[0];
        return false;
      case "005":
        this.isupport.add(p.slice(1, -1));
        return false;
      case "433":
        // Nick in use while registering (only without an account attaching us): try another.
        if (this.#status.state === "connecting") {
          this.#nick = `${this.#nick.slice(0, 14)}_`;
          this.#write("NICK", [this.#nick]);
          return true;
        }
        return false;
      case "900":
        return true;
      case "903":
        this.#authenticating = false;
        this.#write("CAP", ["END"]);
        return true;
      case "902":
      case "904":
      case "905":
      case "906":
      case "908":
        if (this.#authenticating) background(this.#authFailed(p[p.length - 1] ?? "SASL failed"));
        return true;
      case "376":
      case "422":
        this.#onRegistered();
        return false;
      case "NICK":
        if (message.source && this.isMe(message.source.split("!")[0]!)) this.#nick = p[0] ?? this.#nick;
        return false;
      default:
        return false;
    }
  }

  #onCap(message: IrcMessage): void {
    const p = message.params;
    const sub = (p[1] ?? "").toUpperCase();
    const more = p[2] === "*";
    const list = (more ? p[3] : p[2]) ?? "";
    const items = list.split(" ").filter((item) => item !== "");
    switch (sub) {
      case "LS":
      case "NEW": {
        for (const item of items) {
          const eq = item.indexOf("=");
          this.offeredCaps.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? "" : item.slice(eq + 1));
        }
        if (sub === "LS" && more) return;
        const wanted = WANTED_CAPS.filter((cap) => this.offeredCaps.has(cap) && !this.caps.has(cap) && (sub === "LS" || items.some((i) => i.split("=")[0] === cap)));
        if (sub === "LS") this.#capLsDone = true;
        if (wanted.length > 0) this.#write("CAP", ["REQ", wanted.join(" ")]);
        else if (sub === "LS") this.#noSasl();
        return;
      }
      case "ACK": {
        for (const item of items) {
          if (item.startsWith("-")) this.caps.delete(item.slice(1));
          else this.caps.add(item);
        }
        if (this.#status.state === "connecting" && this.#capLsDone && !this.#authenticating) {
          if (this.caps.has("sasl") && (this.offeredCaps.get("sasl") ?? "").split(",").includes("OAUTHBEARER")) {
            this.#authenticating = true;
            this.#write("AUTHENTICATE", ["OAUTHBEARER"]);
          } else this.#noSasl();
        }
        return;
      }
      case "NAK":
        // REQ is all or nothing: ask again one by one, so that one refusal costs only that cap.
        if (items.length > 1) for (const cap of items) this.#write("CAP", ["REQ", cap]);
        else if (this.#status.state === "connecting" && !this.#authenticating && !this.caps.has("sasl")) this.#noSasl();
        return;
      case "DEL":
        for (const item of items) {
          this.caps.delete(item);
          this.offeredCaps.delete(item);
        }
        return;
      default:
        return;
    }
  }

  /** The server offers no OAUTHBEARER: we cannot log in, and a guest connection is not what the user wants. */
  #noSasl(): void {
    this.#closeReason = "the server does not offer SASL OAUTHBEARER";
    this.#drop(this.#closeReason);
  }

  async #sendToken(): Promise<void> {
    const generation = this.#generation;
    let token: string;
    try {
      token = await this.options.getToken();
    } catch {
      if (generation === this.#generation) this.#write("AUTHENTICATE", ["*"]);
      return;
    }
    if (generation !== this.#generation) return;
    for (const chunk of authenticateChunks(oauthBearerResponse(token))) this.#write("AUTHENTICATE", [chunk]);
  }

  async #authFailed(reason: string): Promise<void> {
    this.#authenticating = false;
    const generation = ++this.#generation;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
    this.#clearTimers();
    const again = await this.options.onAuthFailure();
    // stop() or another connection came first.
    if (generation !== this.#generation || this.#status.state === "stopped") return;
    if (again) this.#scheduleRetry(`login refused: ${reason}`);
    else this.stop(`login refused: ${reason}`);
  }

  #onRegistered(): void {
    if (this.#status.state === "ready") return;
    if (this.#registrationTimer) clearTimeout(this.#registrationTimer);
    this.#registrationTimer = null;
    const reconnect = this.#everReady;
    this.#everReady = true;
    this.#attempt = 0;
    // A new connection, a new fakelag on the server: a full burst.
    this.#sendQueue.restart();
    this.#setStatus({ state: "ready" });
    this.#keepAliveTimer = setInterval(() => this.#keepAlive(), 5_000);
    this.emit("ready", { nick: this.#nick, reconnect });
  }

  #keepAlive(): void {
    const now = Date.now();
    if (this.#pingSentAt !== 0) {
      if (now - this.#pingSentAt > PING_TIMEOUT_MS) this.#drop("no answer from the server");
      return;
    }
    if (now - this.#lastReceived > IDLE_PING_MS) {
      this.#pingSentAt = now;
      this.send("PING", [`keepalive-${now}`]);
    }
  }
}
