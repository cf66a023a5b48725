import { isUtf8 } from "node:buffer";
import type { ChatEvent, PresenceEvent, RelayedEvent } from "../core/chat/events.js";
import type { Session } from "../core/chat/session.js";
import type { ChatUser } from "../core/chat/user.js";
import type { Account } from "../core/accounts/ports.js";
import type { SaslExchange } from "./sasl/exchange.js";
import type { ClientBatch } from "./multiline-input.js";
import type { LineTransport } from "../net/line-transport.js";
import { ircSafeHost } from "../net/address.js";
import { Fakelag } from "./fakelag.js";
import { formatLine } from "./format.js";
import { parseMessage, type IrcMessage } from "./message.js";
import { ERR, RPL } from "./numerics.js";
import { variantOf, type Capability } from "./capabilities.js";
import { labelReplies } from "./labeled-response.js";
import { scheduleFlush, type Flushable } from "./output-scheduler.js";
import type { IrcServerContext } from "./server-context.js";
import { sendNames, sendTopic } from "./replies.js";
import { shareChannel } from "../core/chat/visibility.js";
import { joinMarker, markerParam } from "./read-marker-lines.js";
import { detached } from "../detached.js";

let sessionCounter = 0;

/** 512 bytes per RFC 1459, CRLF included; the transport hands over lines without it. */
const MAX_BODY_BYTES = 510;

/** The longest line a transport may hand over (tags and body, no CRLF): longer ones get 417. */
export function maxLineBytes(maxTagBytes: number): number {
  return MAX_BODY_BYTES + maxTagBytes + 1;
}

/** Lines waiting to run at which reading from the socket pauses (flood control off). */
const READ_PAUSE_LINES = 32;

/**
 * How long a closing connection waits for its commands still running (messages being
 * stored) before its user quits. Longer than the history writer's own 4 s bound, so
 * in practice every stored message is delivered first; this only guards against a
 * command that never ends.
 */
const QUIT_AFTER_RUNNING_MS = 5000;

export type CommandRunner = (connection: IrcConnection, message: IrcMessage) => void | Promise<void>;

/** A received line that was not valid UTF-8: answered with FAIL, never run. */
class InvalidUtf8Line {
  constructor(readonly text: string) {}
}

/** A WebSocket message with a line break inside: answered with an error, never run. */
const MALFORMED = Symbol("malformed message");

/** Unusable input still waits its turn, so flood control counts it like any line. */
type QueuedLine = string | InvalidUtf8Line | typeof MALFORMED;

/** Details a client gives before it is registered. */
export interface PendingRegistration {
  nick: string | null;
  username: string | null;
  realname: string | null;
  /** True between CAP LS/REQ and CAP END: registration waits for the client. */
  capNegotiating: boolean;
}

/**
 * One client connection speaking IRC: framing, flood control, the bounded send
 * queue, capability state and the link to the user in the chat core.
 */
export class IrcConnection implements Session, Flushable {
  readonly id = (sessionCounter++).toString(36);
  readonly hostname: string;
  readonly caps = new Set<Capability>();
  capVersion = 0;
  /** Bit set of caps that change how shared events are written (see VARIANT_BITS). */
  variant = 0;
  user: ChatUser | null = null;
  /** The account this connection is logged in to (SASL, NickServ, REGISTER), before or after registration. */
  account: Account | null = null;
  /** A SASL exchange in progress. */
  sasl: SaslExchange | null = null;
  /** A draft/multiline batch the client has opened and not yet closed (multiline-input.ts). */
  clientBatch: ClientBatch | null = null;
  /** When the user must have logged in to keep a registered nick; 0 = no deadline. */
  nickDeadline = 0;
  pending: PendingRegistration | null = { nick: null, username: null, realname: null, capNegotiating: false };
  readonly connectedAt: number;
  lastSeen: number;
  pingSentAt = 0;

  readonly #fakelag: Fakelag;
  #queue: QueuedLine[] = [];
  /** A line fakelag held back; it runs first when the wait is over. */
  #held: QueuedLine | null = null;
  /** Lines run (or refused as too long) before registration: see irc.flood.registrationLines. */
  #unregisteredLines = 0;
  #busy = false;
  #inFlight = 0;
  /** Commands started and not yet finished: pipelined messages and the command that holds the queue. */
  readonly #running = new Set<Promise<unknown>>();
  #slotWaiters: Array<() => void> = [];
  #out: Buffer[] = [];
  #outBytes = 0;
  #closed = false;
  /** Lines written while a labelled command runs; null when no label is active. */
  #labelCapture: string[] | null = null;
  /** During the asynchronous part of a labelled command, events from others are not replies. */
  #labelCapturesEvents = false;
  /** The running command's label was taken for a later reply (takeLabel): no ACK for it now. */
  #labelTaken = false;

  constructor(
    /** TCP, TLS or WebSocket: lines in, bytes out (see net/line-transport.ts). */
    readonly transport: LineTransport,
    readonly address: string,
    readonly secure: boolean,
    readonly context: IrcServerContext,
    private readonly runCommand: CommandRunner,
    private readonly releaseSlot: () => void,
  ) {
    this.hostname = ircSafeHost(address);
    this.connectedAt = this.lastSeen = Date.now();
    const irc = context.config.irc;
    this.#fakelag = new Fakelag(irc.flood);
    transport.start({
      line: (bytes) => this.#receive(bytes),
      overflow: () => {
        if (this.#admit() && this.#withinRegistrationBudget()) this.numeric(ERR.INPUTTOOLONG, "Input line was too long");
      },
      malformed: () => this.#receiveMalformed(),
      closed: (reason) => this.close(reason, false),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while a command with an IRCv3 label runs: its replies must be collected, so it must not be pipelined. */
  get labelled(): boolean {
    return this.#labelCapture !== null;
  }

  /**
   * Lets `work` finish in the background while the next commands run, as long as
   * fewer than `max` such jobs are pending; past that, the caller waits for one to end.
   * Used for messages, whose storage must not serialise a client's pipelined lines.
   */
  async pipeline(work: Promise<void>, max: number): Promise<void> {
    this.#inFlight++;
    this.#track(work);
    void work
      .catch((error: unknown) => this.context.log.error({ err: error, address: this.address }, "irc background command failed"))
      .finally(() => {
        this.#inFlight--;
        this.#slotWaiters.shift()?.();
      });
    if (this.#inFlight >= max) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  get registered(): boolean {
    return this.user !== null;
  }

  /** The nick numerics are addressed to: `*` before one is set. */
  get nick(): string {
    return this.user?.nick ?? this.pending?.nick ?? "*";
  }

  setCaps(enable: readonly Capability[], disable: readonly Capability[]): void {
    for (const cap of enable) this.caps.add(cap);
    for (const cap of disable) this.caps.delete(cap);
    this.variant = variantOf(this.caps);
  }

  // ── input ───────────────────────────────────────────────────────────────

  #receive(bytes: Buffer): void {
    if (!this.#admit()) return;
    // The tag section counts its leading '@' and trailing space (IRCv3).
    const tagEnd = bytes[0] === 0x40 ? bytes.indexOf(0x20) : -1;
    if (tagEnd + 1 > this.context.config.irc.maxTagBytes || bytes.length - (tagEnd + 1) > MAX_BODY_BYTES) {
      if (this.#withinRegistrationBudget()) this.numeric(ERR.INPUTTOOLONG, "Input line was too long");
      return;
    }
    this.#enqueue(isUtf8(bytes) ? bytes.toString("utf8") : new InvalidUtf8Line(bytes.toString("utf8")));
  }

  #receiveMalformed(): void {
    if (this.#admit()) this.#enqueue(MALFORMED);
  }

  /** Counts a received message for liveness and flood control; false when it must be dropped. */
  #admit(): boolean {
    if (this.#closed) return false;
    this.lastSeen = Date.now();
    this.pingSentAt = 0;
    const flood = this.context.config.irc.flood;
    if (flood.enabled && this.#queue.length >= this.#maxQueuedLines(flood.maxQueuedLines)) {
      this.close("Excess Flood");
      return false;
    }
    return true;
  }

  /**
   * Fakelag starts at registration; before it, a client has a fixed budget of lines
   * (irc.flood.registrationLines), so one that never registers cannot keep the server
   * answering PINGs. Counted as lines run, not as lines read: a client that sends its
   * JOINs right behind USER is registered by the time they run. False when closed.
   */
  #withinRegistrationBudget(): boolean {
    const flood = this.context.config.irc.flood;
    if (this.user || !flood.enabled || ++this.#unregisteredLines <= flood.registrationLines) return true;
    this.close("Excess Flood");
    return false;
  }

  #enqueue(line: QueuedLine): void {
    this.#queue.push(line);
    // Without flood control, a client that sends faster than its commands finish is held
    // back by TCP instead of being dropped: stop reading until the queue drains. With it,
    // the queue is the measure of excess and is bounded by maxQueuedLines above.
    if (!this.context.config.irc.flood.enabled && this.#queue.length >= READ_PAUSE_LINES) this.transport.pause();
    this.#pump();
  }

  /**
   * A client with draft/multiline may send a whole batch at once (a pasted text); its
   * lines run without fakelag, but they wait behind a held or asynchronous line like
   * any other. One batch may wait beyond the usual bound.
   */
  #maxQueuedLines(base: number): number {
    return this.caps.has("draft/multiline") ? base + this.context.config.irc.multiline.maxLines + 2 : base;
  }

  /**
   * Runs queued lines in order, one command at a time (an asynchronous command holds
   * the rest back), and holds back what fakelag says to hold.
   */
  #pump(): void {
    if (this.#busy) return;
    while (!this.#closed) {
      const wasHeld = this.#held !== null;
      const raw = this.#held ?? this.#queue.shift();
      this.#held = null;
      if (raw === undefined) {
        if (this.transport.paused) this.transport.resume();
        return;
      }
      // Like Ergo, registration is not throttled: it is short and bounded by its own timeout.
      // Nor are the lines of an open multiline batch: the batch is billed when it ends.
      if (!wasHeld && this.user && this.clientBatch?.collecting !== true) {
        const wait = this.#fakelag.touch();
        if (wait > 0) {
          this.#held = raw;
          this.#resumeAfter(new Promise((resolve) => setTimeout(resolve, wait)));
          return;
        }
      }
      if (!this.#withinRegistrationBudget()) return;
      const pending = this.#dispatch(raw);
      if (pending) {
        this.#track(pending);
        this.#resumeAfter(pending);
        return;
      }
    }
  }

  /** Remembers `work` until it settles, so that closing can let it finish (see close). */
  #track(work: Promise<unknown>): void {
    this.#running.add(work);
    const forget = (): void => void this.#running.delete(work);
    work.then(forget, forget);
  }

  #resumeAfter(pending: Promise<unknown>): void {
    this.#busy = true;
    pending
      .catch((error: unknown) => this.context.log.error({ err: error, address: this.address }, "irc command failed"))
      .finally(() => {
        this.#busy = false;
        this.#pump();
      });
  }

  #dispatch(raw: QueuedLine): Promise<void> | undefined {
    if (raw === MALFORMED) {
      this.numeric(ERR.UNKNOWNERROR, "*", "WebSocket message holds a line break (one IRC line per message, without CR or LF) and was ignored");
      return undefined;
    }
    const invalidUtf8 = raw instanceof InvalidUtf8Line;
    const message = parseMessage(invalidUtf8 ? raw.text : raw);
    if (!message) return undefined;
    if (invalidUtf8) {
      this.sendLine(formatLine(this.context.serverName, "FAIL", [message.command, "INVALID_UTF8", "Message rejected, your IRC software MUST use UTF-8"]));
      return undefined;
    }
    if (message.command.includes("\0") || message.params.some((p) => p.includes("\0"))) {
      // NUL may not appear in IRC messages; dropping the line beats guessing what was meant.
      this.numeric(ERR.UNKNOWNERROR, message.command.includes("\0") ? "*" : message.command, "Message contains a NUL byte and was ignored");
      return undefined;
    }
    const label = this.caps.has("labeled-response") ? message.tags?.get("label") : undefined;
    if (label === undefined) return this.#run(message);
    return this.#withLabel(label, () => this.#run(message));
  }

  /** Runs `work` with its replies collected, then sends them labelled `label` (IRCv3 labeled-response). */
  #withLabel(label: string, work: () => Promise<void> | undefined): Promise<void> | undefined {
    this.#labelCapture = [];
    this.#labelCapturesEvents = true;
    this.#labelTaken = false;
    const finish = (): void => {
      const lines = this.#labelCapture ?? [];
      this.#labelCapture = null;
      if (this.#labelTaken) {
        this.#labelTaken = false;
        for (const line of lines) this.#write(Buffer.from(line));
      } else this.#write(Buffer.from(labelReplies(label, lines, this.context.serverName)));
    };
    const done = work();
    if (!done) {
      finish();
      return undefined;
    }
    this.#labelCapturesEvents = false;
    return done.finally(finish);
  }

  /**
   * Takes the running command's label, to answer it later (`answerLabelled`) instead of
   * now: the opening line of a client batch is answered when the batch ends. Null
   * when the command carries no label.
   */
  takeLabel(message: IrcMessage): string | null {
    const label = this.caps.has("labeled-response") ? message.tags?.get("label") : undefined;
    if (label === undefined || this.#labelCapture === null) return null;
    this.#labelTaken = true;
    return label;
  }

  /**
   * Runs `work` as the answer to a command labelled `label` earlier (see takeLabel); with
   * no label, or inside a labelled command already, it just runs.
   */
  answerLabelled(label: string | null, work: () => Promise<void> | undefined): Promise<void> | undefined {
    if (label === null || this.#labelCapture !== null) return work();
    return this.#withLabel(label, work);
  }

  /** Counts `lines` lines against flood control at once: what a multiline batch sent without fakelag costs. */
  chargeFakelag(lines: number): void {
    for (let i = 0; i < lines; i++) this.#fakelag.touch();
  }

  #run(message: IrcMessage): Promise<void> | undefined {
    const result = this.runCommand(this, message);
    return result instanceof Promise ? result : undefined;
  }

  // ── output ──────────────────────────────────────────────────────────────

  /** Sends a numeric from the server to this client: `:server 401 nick params…`. */
  numeric(code: string, ...params: string[]): void {
    this.sendLine(formatLine(this.context.serverName, code, [this.nick, ...params]));
  }

  /** Sends a line from the server (not a numeric): `:server CMD params…`. */
  serverLine(command: string, ...params: string[]): void {
    this.sendLine(formatLine(this.context.serverName, command, params));
  }

  sendLine(line: string): void {
    if (this.#labelCapture) this.#labelCapture.push(line);
    else this.#write(Buffer.from(line));
  }

  /** The sender's own message back (echo-message): a reply to its command, so labelled with it. */
  echo(event: RelayedEvent): void {
    if (this.#labelCapture) this.#labelCapture.push(this.context.eventLines.bytesFor(event, this.variant).toString());
    else this.#send(this.#shared(event));
  }

  deliver(event: ChatEvent, fromSession: string | null): void {
    if (this.#closed) return;
    switch (event.type) {
      case "read-marker":
        // Every connection of the account keeps the node's cache current (the event may come from another node).
        this.context.readMarkers.observe(event);
        if (this.caps.has("draft/read-marker")) this.#eventLine(formatLine(this.context.serverName, "MARKREAD", [event.name, markerParam(event.time)]));
        return;
      case "presence":
        this.#presence(event);
        return;
    }
    if (event.from.id === this.user?.id && this.#deliverOwn(event, fromSession)) return;
    if (this.#wants(event)) this.#othersEvent(event);
  }

  /** An event caused by someone else: part of a labelled reply only while the command runs synchronously. */
  #othersEvent(event: RelayedEvent): void {
    if (this.#labelCapture && this.#labelCapturesEvents) this.#labelCapture.push(this.context.eventLines.bytesFor(event, this.variant).toString());
    else this.#send(this.#shared(event));
  }

  #eventLine(line: string): void {
    if (this.#labelCapture && this.#labelCapturesEvents) this.#labelCapture.push(line);
    else this.#write(Buffer.from(line));
  }

  /** The event as this connection's wire wants it, made once for every connection alike (format once, write many). */
  #shared(event: RelayedEvent): Buffer {
    return this.context.eventLines.wireBytesFor(event, this.variant, this.transport);
  }

  /** A watched nick came online (730 RPL_MONONLINE) or went offline (731 RPL_MONOFFLINE). */
  #presence(event: PresenceEvent): void {
    if (!this.user) return;
    const line = event.origin
      ? formatLine(this.context.serverName, RPL.MONONLINE, [this.nick, `${event.origin.nick}!${event.origin.username}@${event.origin.hostname}`])
      : formatLine(this.context.serverName, RPL.MONOFFLINE, [this.nick, event.nick]);
    this.#eventLine(line);
  }

  /**
   * Whether an AWAY, ACCOUNT or SETNAME of someone this connection watches (MONITOR) is shown:
   * with extended-monitor always (as if they shared a channel), else only when they do share one.
   */
  #showsWatched(event: RelayedEvent): boolean {
    if (this.caps.has("extended-monitor") || !this.user) return true;
    const core = this.context.core;
    if (!core.watchers.isWatching(this, event.from.nick)) return true;
    const other = core.findUser(event.from.nick);
    return other !== undefined && shareChannel(this.user, other);
  }

  /**
   * What this connection's own user did, maybe through another of its connections
   * (multiclient). Returns true when handled here.
   */
  #deliverOwn(event: ChatEvent, fromSession: string | null): boolean {
    switch (event.type) {
      case "join": {
        // Another connection joined (or this one attached): this one needs the topic and
        // names a JOIN reply carries; the joining connection sends them itself.
        if (fromSession === this.id) return false;
        this.#send(this.#shared(event));
        const channel = this.context.core.findChannel(event.channel);
        if (channel && this.user) {
          sendTopic(this, channel, false);
          sendNames(this, this.user, channel, joinMarker(this, channel));
        }
        return true;
      }
      case "away":
        // The connection that sent AWAY answers it itself; the others learn the state as if they had.
        if (event.message === null) this.numeric(RPL.UNAWAY, "You are no longer marked as being away");
        else this.numeric(RPL.NOWAWAY, "You have been marked as being away");
        return true;
      case "account":
        // Each connection is told of its own login (900/901) when it logs in.
        return true;
      case "message":
        // Only a message to oneself comes back to the connection that sent it. With echo-message
        // the echo (a reply, labelled) is its one copy here; without, this delivered copy is a
        // side effect, written at once and never part of a labelled reply.
        if (fromSession !== this.id) return false;
        if (!this.caps.has("echo-message") && this.#wants(event)) this.#send(this.#shared(event));
        return true;
      default:
        return false;
    }
  }

  #wants(event: RelayedEvent): boolean {
    switch (event.type) {
      case "message":
        return event.kind !== "tagmsg" || this.caps.has("message-tags");
      case "away":
        return this.caps.has("away-notify") && this.#showsWatched(event);
      case "realname":
        return this.caps.has("setname") && this.#showsWatched(event);
      case "account":
        return this.caps.has("account-notify") && this.#showsWatched(event);
      case "wallops":
        return this.user?.wallops === true;
      case "redact":
        return this.caps.has("draft/message-redaction");
      case "invite":
        return event.target === this.user?.nick || this.caps.has("invite-notify");
      default:
        return true;
    }
  }

  /** Writes IRC lines, each ended by CRLF. */
  #write(lines: Buffer): void {
    if (!this.#closed) this.#send(this.transport.encode(lines));
  }

  /** Queues bytes in the transport's wire format until the end of this loop turn. */
  #send(bytes: Buffer): void {
    if (this.#closed) return;
    const queued = this.transport.pendingBytes + this.#outBytes + bytes.length;
    if (queued > this.context.config.irc.sendQueueBytes) {
      // Never let a client that stops reading grow our memory: drop it now, quit it soon
      // (we may be inside a fan-out loop of the chat core, which must not be re-entered).
      this.#out = [];
      this.#outBytes = 0;
      this.transport.destroy();
      queueMicrotask(() => {
        // Counted once per client: more sends may arrive before this runs.
        if (!this.#closed) this.context.onSendQueueExceeded();
        this.close("SendQ exceeded", false);
      });
      return;
    }
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    if (this.#out.length === 1) scheduleFlush(this);
  }

  flush(): void {
    if (this.#out.length === 0 || !this.transport.writable) return;
    // The buffers as queued, not concatenated: most are shared by every recipient of a message.
    const chunks = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    this.transport.write(chunks);
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /**
   * Asked by the core (KILL) or the server: quit with `reason`. `goingAway` when the
   * whole server stops (a WebSocket then closes with 1001 instead of 1000).
   */
  close(reason: string, tellClient = true, goingAway = false): void {
    if (this.#closed) return;
    if (tellClient && this.transport.writable) {
      this.#labelCapture = null;
      this.#write(Buffer.from(`ERROR :Closing link: ${this.hostname} (${reason})\r\n`));
      this.flush();
    }
    this.#closed = true;
    this.#queue = [];
    this.transport.end(goingAway);
    // A client that does not read may never let end() finish: cut it after a grace period.
    setTimeout(() => this.transport.destroy(), 2000).unref();
    this.releaseSlot();
    this.context.connections.delete(this);
    this.context.core.watchers.unwatchAll(this);
    if (this.user) this.#leave(this.user, reason, goingAway);
    // Offline messages for this account count from now.
    if (this.account) void this.context.accounts.markSeen(this.account).catch(() => {});
    this.context.log.debug({ address: this.address, transport: this.transport.kind, nick: this.nick, reason }, "irc connection closed");
  }

  /**
   * Ends this session of `user`. Messages the client sent before it closed (a line
   * before QUIT, the burst before Excess Flood) may still be being stored: they are
   * delivered once stored, and only then does the user quit, so history never holds
   * a message nobody was shown, and nothing of the user comes after its QUIT. When
   * the whole server stops, everyone is leaving anyway: the session ends at once.
   */
  #leave(user: ChatUser, reason: string, goingAway: boolean): void {
    const detach = (): void => void this.context.core.detach(user, this, reason);
    if (this.#running.size === 0 || goingAway) {
      detach();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, QUIT_AFTER_RUNNING_MS)));
    detached(
      Promise.race([Promise.allSettled([...this.#running]), bound]).then(() => {
        clearTimeout(timer);
        detach();
      }),
      (error) => this.context.log.error({ err: error, address: this.address }, "irc session end failed"),
    );
  }
}
