import type { ChatEvent, PresenceEvent, RelayedEvent } from "../core/chat/events.js";
import type { Session } from "../core/chat/session.js";
import type { ChatUser } from "../core/chat/user.js";
import type { Account } from "../core/accounts/ports.js";
import type { SaslExchange } from "./sasl/exchange.js";
import { gathersLine, type ClientBatch } from "./multiline-input.js";
import type { LineTransport, TransportSink } from "../net/line-transport.js";
import { ircSafeHost } from "../net/address.js";
import { FloodControl } from "./flood-control.js";
import { SendQueue } from "./send-queue.js";
import { PacedReply } from "./paced-reply.js";
import { ConnectionPacedOutput, eachLine } from "./paced-output.js";
import { InputQueue } from "./input-queue.js";
import { PendingCommands } from "./pending-commands.js";
import { formatLine } from "./format.js";
import { parseMessage, type IrcMessage } from "./message.js";
import { labelReplies } from "./labeled-response.js";
import { ERR, RPL } from "./numerics.js";
import { variantOf, type Capability } from "./capabilities.js";
import { LabelCapture } from "./label-capture.js";
import { commandLabel } from "./command-label.js";
import type { IrcServerContext } from "./server-context.js";
import { wantsEvent } from "./event-filter.js";
import { isTooLong, MALFORMED, queuedLine, runnableMessage, type QueuedLine } from "./input-lines.js";
import { markerParam } from "./read-marker-lines.js";
import { deliverOwnEvent } from "./own-events.js";
import { detached } from "../detached.js";
import type { PendingRegistration } from "./registration.js";

let sessionCounter = 0;

export type CommandRunner = (connection: IrcConnection, message: IrcMessage) => void | Promise<void>;

/** The caps of a connection that enabled none: most idle ones, so no Set each. */
const NO_CAPS: ReadonlySet<Capability> = new Set();

/**
 * One client connection speaking IRC: lines in, run in order (input-queue.ts; flood
 * control in flood-control.ts), replies and events out through the bounded send queue
 * (send-queue.ts), capability state and the link to the user in the chat core.
 *
 * Thousands of these sit idle on a busy server, so what only some use (enabled caps,
 * lines waiting to run, commands still running) is made on first use, and no closure
 * is made per connection: the connection is its transport's sink (TransportSink).
 */
export class IrcConnection extends InputQueue implements Session, TransportSink {
  readonly id = (sessionCounter++).toString(36);
  readonly hostname: string;
  #caps: Set<Capability> | null = null;
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
  pending: PendingRegistration | null = { nick: null, username: null, realname: null, capNegotiating: false };
  readonly connectedAt: number;
  lastSeen: number;
  pingSentAt = 0;

  readonly #flood: FloodControl;
  readonly #output: SendQueue;
  /** Commands started and not yet finished: pipelined messages and the command that holds the queue; null until the first. */
  #pending: PendingCommands | null = null;
  #closed = false;
  /** Replies collected while a labelled command runs; null when no label is active. */
  #label: LabelCapture | null = null;
  /** True while lines that answer none of this connection's commands are sent (see sendUnlabelled). */
  #unlabelled = false;
  /** A reply being written as the client reads it (paced-reply.ts); the next command waits for it. Null when none. */
  #paced: PacedReply | null = null;

  constructor(
    /** TCP, TLS or WebSocket: lines in, bytes out (see net/line-transport.ts). */
    readonly transport: LineTransport,
    readonly address: string,
    readonly secure: boolean,
    readonly context: IrcServerContext,
    private readonly runCommand: CommandRunner,
    private readonly slot: { release(): void },
  ) {
    super();
    this.hostname = ircSafeHost(address);
    this.connectedAt = this.lastSeen = Date.now();
    this.#flood = new FloodControl(context);
    this.#output = new SendQueue(transport);
    transport.start(this);
  }

  /** The capabilities the client enabled (CAP REQ); change them with setCaps. */
  get caps(): ReadonlySet<Capability> {
    return this.#caps ?? NO_CAPS;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True while a command with an IRCv3 label runs: its replies must be collected, so it must not be pipelined. */
  get labelled(): boolean {
    return this.#label !== null;
  }

  /**
   * Lets `work` finish in the background while the next commands run, as long as
   * fewer than `max` such jobs are pending (undefined); past that, the caller waits for one
   * to end (a promise). Used for messages, whose storage must not serialise a client's pipelined lines.
   */
  pipeline(work: Promise<void>, max: number): Promise<void> | undefined {
    return (this.#pending ??= new PendingCommands(this)).pipeline(work, max);
  }

  get registered(): boolean {
    return this.user !== null;
  }

  /** The nick numerics are addressed to: `*` before one is set. */
  get nick(): string {
    return this.user?.nick ?? this.pending?.nick ?? "*";
  }

  setCaps(enable: readonly Capability[], disable: readonly Capability[]): void {
    const caps = (this.#caps ??= new Set());
    for (const cap of enable) caps.add(cap);
    for (const cap of disable) caps.delete(cap);
    this.variant = variantOf(caps);
  }

  // ── input (TransportSink) ───────────────────────────────────────────────

  receiveLine(bytes: Buffer): void {
    if (!this.#admit()) return;
    if (isTooLong(bytes, this.context.config.irc.maxTagBytes)) {
      if (this.#withinRegistrationBudget()) this.#inputTooLong(bytes);
      return;
    }
    this.enqueue(queuedLine(bytes));
  }

  /**
   * 417 for a line over the limits. When its tag section is within them and holds a label
   * (labeled-response), the 417 carries that label: a client waiting for it would hang.
   */
  #inputTooLong(bytes: Buffer): void {
    const line = this.numericLine(ERR.INPUTTOOLONG, "Input line was too long");
    const label = this.#labelOfTooLong(bytes);
    if (label === undefined) this.sendLine(line);
    else this.#writeAnswer(Buffer.from(labelReplies(label, [line], this.context.serverName)));
  }

  /** The label of an over-long line whose tags are within irc.maxTagBytes (only its body is too long). */
  #labelOfTooLong(bytes: Buffer): string | undefined {
    if (bytes[0] !== 0x40 || !this.caps.has("labeled-response")) return undefined;
    const tagEnd = bytes.indexOf(0x20);
    if (tagEnd === -1 || tagEnd + 1 > this.context.config.irc.maxTagBytes) return undefined;
    // The tag section alone, with a stand-in command, so the parser reads it as any line's tags.
    const message = parseMessage(`${bytes.toString("utf8", 0, tagEnd)} PING`);
    return message ? commandLabel(message, this.caps) : undefined;
  }

  receiveOverflow(): void {
    if (this.#admit() && this.#withinRegistrationBudget()) this.numeric(ERR.INPUTTOOLONG, "Input line was too long");
  }

  receiveMalformed(): void {
    if (this.#admit()) this.enqueue(MALFORMED);
  }

  transportClosed(reason: string): void {
    this.close(reason, false);
  }

  /** Counts a received message for liveness and flood control; false when it must be dropped. */
  #admit(): boolean {
    if (this.#closed) return false;
    this.lastSeen = Date.now();
    this.pingSentAt = 0;
    if (this.#flood.isExcess(this.queuedLines, this.caps)) {
      this.close("Excess Flood");
      return false;
    }
    return true;
  }

  /** Fakelag starts at registration; before it, a client has a fixed budget of lines. False when that closed the connection. */
  #withinRegistrationBudget(): boolean {
    if (this.#flood.withinRegistrationBudget(this.user !== null)) return true;
    this.close("Excess Flood");
    return false;
  }

  // ── the input queue's questions (input-queue.ts) ────────────────────────

  protected pacedReplyDone(): Promise<void> | null {
    return this.#paced === null ? null : this.#paced.done;
  }

  protected fakelagDelay(line: QueuedLine): number {
    // Like Ergo, registration is not throttled: it is short and bounded by its own timeout.
    // Nor are the lines an open multiline batch gathers: the batch is billed when it ends.
    if (!this.user || (this.clientBatch !== null && gathersLine(this.clientBatch, line))) return 0;
    return this.#flood.delay();
  }

  protected mustPauseReading(queuedLines: number): boolean {
    return this.#flood.shouldPauseReading(queuedLines);
  }

  protected runLine(line: QueuedLine): Promise<void> | undefined {
    if (!this.#withinRegistrationBudget()) return undefined;
    const pending = this.#dispatch(line);
    // Remembered until it settles, so that closing can let it finish (see #leave).
    if (pending) (this.#pending ??= new PendingCommands(this)).track(pending);
    return pending;
  }

  protected commandFailed(error: unknown): void {
    this.context.log.error({ err: error, address: this.address }, "irc command failed");
  }

  #dispatch(raw: QueuedLine): Promise<void> | undefined {
    const message = runnableMessage(this, raw);
    if (!message) return undefined;
    const label = commandLabel(message, this.caps);
    const run = (): Promise<void> | undefined => (label === undefined ? this.#run(message) : this.#withLabel(label, () => this.#run(message)));
    if (this.#pending?.mustWaitFor(message.command, label !== undefined) === true) return this.#pending.pipelinedSettled().then(run);
    return run();
  }

  /** Runs `work` with its replies collected, then sends them labelled `label` (IRCv3 labeled-response). */
  #withLabel(label: string, work: () => Promise<void> | undefined): Promise<void> | undefined {
    const capture = (this.#label = new LabelCapture());
    const finish = (): void => {
      if (this.#label === capture) this.#label = null;
      const answer = capture.answer(label, this.context.serverName);
      if (answer) this.#writeAnswer(answer);
    };
    let done: Promise<void> | undefined;
    try {
      done = work();
    } catch (error) {
      // A command that throws at once (a bug, logged by the caller) must not leave the capture
      // in place: every later reply of the connection would go into it and never out.
      finish();
      throw error;
    }
    if (!done) {
      finish();
      return undefined;
    }
    capture.capturesEvents = false;
    return done.finally(finish);
  }

  /**
   * Takes the running command's label, to answer it later (`answerLabelled`) instead of
   * now: the opening line of a client batch is answered when the batch ends. Null
   * when the command carries no label.
   */
  takeLabel(message: IrcMessage): string | null {
    const label = commandLabel(message, this.caps);
    if (label === undefined || this.#label === null) return null;
    this.#label.taken = true;
    return label;
  }

  /**
   * Runs `work` as the answer to a command labelled `label` earlier (see takeLabel); with
   * no label, or inside a labelled command already, it just runs.
   */
  answerLabelled(label: string | null, work: () => Promise<void> | undefined): Promise<void> | undefined {
    if (label === null || this.#label !== null) return work();
    return this.#withLabel(label, work);
  }

  /** Counts `lines` lines against flood control at once: what a multiline batch sent without fakelag costs. */
  chargeFakelag(lines: number): void {
    this.#flood.charge(lines);
  }

  #run(message: IrcMessage): Promise<void> | undefined {
    try {
      const result = this.runCommand(this, message);
      return result instanceof Promise ? result : undefined;
    } catch (error) {
      // A handler that throws at once (a bug) costs this command, not the connection or
      // the process: the queue goes on, as it does after a command whose promise rejects.
      this.context.log.error({ err: error, address: this.address, command: message.command }, "irc command failed");
      return undefined;
    }
  }

  // ── output ──────────────────────────────────────────────────────────────

  /** Sends a numeric from the server to this client: `:server 401 nick params…`. */
  numeric(code: string, ...params: string[]): void {
    this.sendLine(this.numericLine(code, ...params));
  }

  /** The line `numeric` sends, for a reply written later (sendPaced). */
  numericLine(code: string, ...params: string[]): string {
    return formatLine(this.context.serverName, code, [this.nick, ...params]);
  }

  /** Sends a line from the server (not a numeric): `:server CMD params…`. */
  serverLine(command: string, ...params: string[]): void {
    this.sendLine(formatLine(this.context.serverName, command, params));
  }

  sendLine(line: string): void {
    const capture = this.#capture();
    if (capture) capture.lines.push(line);
    else if (this.#behindPacedReply()) this.#addToPacedReply(line);
    else this.#write(Buffer.from(line));
  }

  /**
   * Sends a reply that may be far bigger than the send queue (LIST, NAMES, WHO, CHATHISTORY):
   * written as the client reads it, never disconnecting it for its size (paced-reply.ts).
   * `lines` (each CRLF-ended) are pulled only when there is room. Small replies go out at once;
   * a big one holds the client's next commands back until it is written.
   */
  sendPaced(lines: Iterable<string>): void {
    if (this.#closed) return;
    const capture = this.#capture();
    if (capture) {
      for (const line of lines) capture.lines.push(line);
      return;
    }
    this.#pacedReply().add(lines);
  }

  /**
   * Runs `send` with what it sends (lines, numerics, paced replies) written as if no labelled
   * command ran: for what the user did on another connection (own-events.ts) or the server
   * announces (cap-notify), which answers none of this connection's commands, so must not
   * end up in the labelled reply of one running meanwhile (labeled-response).
   */
  sendUnlabelled(send: () => void): void {
    const outer = this.#unlabelled;
    this.#unlabelled = true;
    try {
      send();
    } finally {
      this.#unlabelled = outer;
    }
  }

  /** Where a reply sent now is collected: the running labelled command's capture, unless sendUnlabelled says otherwise. */
  #capture(): LabelCapture | null {
    return this.#unlabelled ? null : this.#label;
  }

  /** The sender's own message back (echo-message): a reply to its command, so labelled with it. */
  echo(event: RelayedEvent): void {
    if (this.#label) this.#label.lines.push(this.context.eventLines.bytesFor(event, this.variant).toString());
    else if (this.#behindPacedReply()) this.#addToPacedReply(this.context.eventLines.bytesFor(event, this.variant).toString());
    else this.#send(this.#shared(event));
  }

  /** True when a paced reply is under way and what is written now (not by it) must follow it. */
  #behindPacedReply(): boolean {
    return this.#paced !== null && !this.#paced.writing;
  }

  #addToPacedReply(line: string): void {
    if (!this.#pacedReply().addLine(line, this.context.config.irc.sendQueueBytes)) this.#sendQueueExceeded();
  }

  #pacedReply(): PacedReply {
    if (this.#paced !== null) return this.#paced;
    const output = new ConnectionPacedOutput(this, this.#output, (lines) => this.#write(lines));
    const reply = new PacedReply(output, () => {
      if (this.#paced === reply) this.#paced = null;
    });
    return (this.#paced = reply);
  }

  /** A labelled command's answer: at once when small, else paced like the reply it holds. */
  #writeAnswer(answer: Buffer): void {
    if (this.#paced === null && this.#output.unsentBytes + answer.length <= this.context.config.irc.sendQueueBytes / 2) this.#write(answer);
    else this.sendPaced(eachLine(answer.toString()));
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
    const own = event.from.id === this.user?.id;
    if (own && deliverOwnEvent(this, event, fromSession)) return;
    if (wantsEvent(this, event)) this.#othersEvent(event, own);
  }

  /**
   * An event caused by someone else: part of a labelled reply only while the command runs
   * synchronously. The user's own (its JOIN of the next channel) follows a paced reply under way.
   */
  #othersEvent(event: RelayedEvent, own: boolean): void {
    if (this.#label?.capturesEvents) this.#label.lines.push(this.context.eventLines.bytesFor(event, this.variant).toString());
    else if (own && this.#behindPacedReply()) this.#addToPacedReply(this.context.eventLines.bytesFor(event, this.variant).toString());
    else this.#send(this.#shared(event));
  }

  /** Writes `event`'s shared line at once, never as part of a labelled reply (see own-events.ts). */
  writeEventNow(event: RelayedEvent): void {
    this.#send(this.#shared(event));
  }

  #eventLine(line: string): void {
    if (this.#label?.capturesEvents) this.#label.lines.push(line);
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

  /** Writes IRC lines, each ended by CRLF. */
  #write(lines: Buffer): void {
    if (!this.#closed) this.#send(this.transport.encode(lines));
  }

  /** Queues bytes in the transport's wire format until the end of this loop turn (send-queue.ts). */
  #send(bytes: Buffer): void {
    if (!this.#closed && !this.#output.push(bytes, this.context.config.irc.sendQueueBytes)) this.#sendQueueExceeded();
  }

  /**
   * The send queue dropped its bytes and the transport: quit soon, not now (we may be
   * inside a fan-out loop of the chat core, which must not be re-entered).
   */
  #sendQueueExceeded(): void {
    queueMicrotask(() => {
      // Counted once per client: more sends may arrive before this runs.
      if (!this.#closed) this.context.onSendQueueExceeded();
      this.close("SendQ exceeded", false);
    });
  }

  // ── lifecycle ───────────────────────────────────────────────────────────

  /**
   * Asked by the core (KILL) or the server: quit with `reason`. `goingAway` when the
   * whole server stops (a WebSocket then closes with 1001 instead of 1000).
   */
  close(reason: string, tellClient = true, goingAway = false): void {
    if (this.#closed) return;
    if (tellClient && this.transport.writable) {
      this.#label = null;
      // Through formatLine, like every other line: a QUIT reason near the input limit would
      // otherwise make an ERROR line past 512 bytes (found by the irc-dispatch fuzzer).
      this.#write(Buffer.from(formatLine(null, "ERROR", [`Closing link: ${this.hostname} (${reason})`])));
      this.#output.flush();
    }
    this.#closed = true;
    this.dropQueuedLines();
    this.#paced?.cancel();
    this.transport.end(goingAway);
    // A client that does not read may never let end() finish: cut it after a grace period.
    setTimeout(() => this.transport.destroy(), 2000).unref();
    this.slot.release();
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
    const pending = this.#pending;
    if (pending === null || pending.idle || goingAway) {
      detach();
      return;
    }
    detached(pending.settled().then(detach), (error) => this.context.log.error({ err: error, address: this.address }, "irc session end failed"));
  }
}
