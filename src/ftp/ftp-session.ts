import type { Socket } from "node:net";
import type { Account } from "../core/accounts/ports.js";
import type { FileSpace } from "../core/files/file-space.js";
import { LineSplitter } from "../net/line-splitter.js";
import { decodeCommandLine, splitCommandLine, type CommandLine } from "./command-line.js";
import type { DataChannel } from "./data-channel.js";
import type { FtpServerContext } from "./ftp-context.js";
import type { ConnectionTls } from "./ftp-tls.js";
import { formatReply } from "./replies.js";
import { MLST_FACTS, type MlstFact } from "./listing.js";
import { detached } from "../detached.js";

/** Commands queued before we stop reading from the client. */
const MAX_QUEUED_COMMANDS = 64;
/** Reply bytes the client has not read before we stop reading its commands. */
const MAX_UNREAD_REPLY_BYTES = 256 * 1024;

/** A line whose bytes were not UTF-8: answered 501 in its turn, never run. */
const NOT_UTF8 = "not-utf8";
type QueuedLine = CommandLine | typeof NOT_UTF8;

export type FtpCommandRunner = (session: FtpSession, verb: string, argument: string) => void | Promise<void>;

/**
 * A transfer from the command that asked for it until its final reply, so ABOR, STAT and
 * the session closing reach it, also while it waits for its data connection, and QUIT and
 * REIN wait for it.
 */
export interface ActiveTransfer {
  readonly description: string;
  /** No data connection yet: nothing has been sent or received. */
  readonly waiting: boolean;
  /** Cuts the data connection, or the wait for it; resolves once the transfer has sent its final reply. */
  abort(): Promise<void>;
  /** Resolves once the transfer has ended on its own and sent its final reply. */
  finished(): Promise<void>;
}

/**
 * One FTP control connection: framing, reply writing, TLS upgrade (AUTH TLS),
 * login state, working directory and transfer parameters. Commands run one at a
 * time; a transfer runs beside them so ABOR, STAT and NOOP still answer.
 */
export class FtpSession {
  socket: Socket;
  secure = false;
  /** After AUTH TLS: the TLS of this control connection and of its data connections, shared with no other. */
  tls: ConnectionTls | null = null;
  /** USER given, waiting for PASS. */
  pendingUser: string | null = null;
  account: Account | null = null;
  anonymous = false;
  space: FileSpace | null = null;
  releaseSpace: (() => void) | null = null;
  cwd = "/";
  type: "A" | "I" = "A";
  restOffset = 0;
  /** The facts MLSD and MLST send, as OPTS MLST chose them (RFC 3659 §7.9); all of them until then. */
  mlstFacts: readonly MlstFact[] = MLST_FACTS;
  renameFrom: import("../core/files/jail.js").JailedPath | null = null;
  /** PBSZ 0 was given (RFC 4217 requires it before PROT). */
  protectionBufferSet = false;
  /** PROT P: data connections are TLS too. */
  protectData = false;
  /** After EPSV ALL, only EPSV may set up data connections. */
  epsvAll = false;
  data: DataChannel | null = null;
  transfer: ActiveTransfer | null = null;
  failedLogins = 0;
  /** When the session last became logged out (connected, REIN, AUTH or USER while logged in): the login timeout counts from here. */
  loginStartedAt = Date.now();
  lastActivity = Date.now();
  #closed = false;
  /** The client closed its side of the control connection: nothing more will be read. */
  #inputEnded = false;
  /** QUIT was among the lines received: a half-close after it is an orderly end (RFC 959). */
  #quitReceived = false;
  #splitter: LineSplitter;
  #queue: QueuedLine[] = [];
  #busy = false;
  #waitingForDrain = false;
  /** QUIT or REIN waits in the command loop for a transfer to complete (see transferCompleted). */
  #awaitingTransfer = false;
  /** The last command run out of turn (an ABOR), until it has answered. */
  #outOfTurn: Promise<void> = Promise.resolve();

  constructor(
    socket: Socket,
    readonly address: string,
    readonly localAddress: string,
    readonly context: FtpServerContext,
    private readonly runCommand: FtpCommandRunner,
    private readonly slot: { release(): void },
  ) {
    this.socket = socket;
    this.#splitter = this.#newSplitter();
    this.#attach(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get loggedIn(): boolean {
    return this.space !== null;
  }

  /**
   * The client ended its side of the control connection without QUIT: it went away, or
   * was killed (its kernel closes both connections with a FIN, like a finished upload).
   */
  get hungUp(): boolean {
    return this.#inputEnded && !this.#quitReceived;
  }

  #newSplitter(): LineSplitter {
    // After AUTH TLS the old splitter may still be walking the clear-text chunk that
    // held the AUTH line: lines it finds then belong to no one and are dropped.
    const splitter: LineSplitter = new LineSplitter(this.context.config.ftp.maxCommandBytes, {
      line: (bytes) => {
        if (splitter === this.#splitter) this.#receive(decodeCommandLine(bytes));
      },
      overflow: () => {
        if (splitter === this.#splitter) this.reply(500, "Command line too long");
      },
    });
    return splitter;
  }

  #attach(socket: Socket): void {
    socket.setNoDelay(true);
    // A client may send its last commands (QUIT among them) and half-close at once: their
    // replies must still be written after its FIN (see #onInputEnd).
    socket.allowHalfOpen = true;
    socket.on("data", (chunk: Buffer) => this.#splitter.push(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    socket.on("end", () => this.#onInputEnd());
  }

  /**
   * The client's FIN: every line it sent still runs in order, and a transfer with its data
   * connection finishes (RFC 959: QUIT waits for it); then the session closes. Without QUIT
   * the client is gone, so a transfer still waiting for a data connection is dropped at
   * once rather than keep a passive port and a file open for nobody. The idle and data
   * timeouts still bound whatever never finishes.
   */
  #onInputEnd(): void {
    if (this.#closed) return;
    this.#inputEnded = true;
    const transfer = this.transfer;
    if (this.hungUp && transfer?.waiting) detached(transfer.abort(), (error) => this.context.log.warn({ err: error, address: this.address }, "ftp transfer abort failed"));
    this.#closeWhenDrained();
  }

  /** After the client's FIN, closes once its last line has run and the transfer has ended. */
  #closeWhenDrained(): void {
    if (!this.#inputEnded || this.#closed || this.#busy || this.#queue.length > 0) return;
    const transfer = this.transfer;
    if (!transfer) return this.close();
    detached(
      transfer.finished().then(() => this.close()),
      (error) => this.context.log.error({ err: error, address: this.address }, "ftp session failed to close"),
    );
  }

  reply(code: number, text: string | readonly string[]): void {
    if (this.#closed) return;
    this.socket.write(formatReply(code, text));
  }

  /** One framed line: its text, or null when its bytes were not UTF-8. */
  #receive(text: string | null): void {
    if (this.#closed || text === "") return;
    this.lastActivity = Date.now();
    const line = text === null ? NOT_UTF8 : splitCommandLine(text);
    if (line !== NOT_UTF8 && line.verb === "QUIT") this.#quitReceived = true;
    if (line !== NOT_UTF8 && line.verb === "ABOR" && this.transfer && (this.transfer.waiting || this.#awaitingTransfer)) return this.#runOutOfTurn(line);
    // A client that pipelines commands gets them run in order. Many waiting, or many replies
    // it has not read yet, and we stop reading from it until it catches up (flow control, not
    // a disconnection): the queue then holds at most what one read brought.
    this.#queue.push(line);
    this.#throttle();
    detached(this.#pump(), (error) => this.context.log.error({ err: error, address: this.address }, "ftp command loop failed"));
  }

  /** Reads from the client only while its commands and unread replies stay within bounds. */
  #throttle(): void {
    const unread = this.socket.writableLength > MAX_UNREAD_REPLY_BYTES;
    if (unread && !this.#waitingForDrain) {
      this.#waitingForDrain = true;
      this.socket.once("drain", () => {
        this.#waitingForDrain = false;
        if (!this.#closed) this.#throttle();
      });
    }
    const behind = unread || this.#queue.length >= MAX_QUEUED_COMMANDS;
    if (behind && !this.socket.isPaused()) this.socket.pause();
    else if (!behind && this.socket.isPaused()) this.socket.resume();
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        this.#throttle();
        const line = this.#queue.shift()!;
        if (line === NOT_UTF8) this.reply(501, "Command line is not valid UTF-8 (RFC 2640); nothing done");
        else await this.#run(line);
      }
    } finally {
      this.#busy = false;
      if (!this.#closed) this.#throttle();
      this.#closeWhenDrained();
    }
  }

  /**
   * A transfer now waits for its data connection, and the command loop with it (so replies
   * keep their order): an ABOR already queued behind it runs now, out of turn, as one that
   * arrives during the wait does (RFC 959 treats ABOR as urgent).
   */
  transferWaiting(): void {
    this.#abortQueued();
  }

  /**
   * Waits for the transfer in progress to complete and send its final reply (QUIT and REIN let it,
   * RFC 959). The command loop waits with it, so an ABOR, queued or arriving meanwhile, runs out
   * of turn: behind the wait it could never reach the transfer it is meant to cut.
   */
  async transferCompleted(): Promise<void> {
    const transfer = this.transfer;
    if (!transfer) return;
    this.#awaitingTransfer = true;
    try {
      this.#abortQueued();
      await transfer.finished();
      // An ABOR that cut it answers (426 from the transfer, then its 226) before the command that waited.
      await this.#outOfTurn;
    } finally {
      this.#awaitingTransfer = false;
    }
  }

  #abortQueued(): void {
    const at = this.#queue.findIndex((line) => line !== NOT_UTF8 && line.verb === "ABOR");
    if (at !== -1) this.#runOutOfTurn(this.#queue.splice(at, 1)[0] as CommandLine);
  }

  #runOutOfTurn(line: CommandLine): void {
    const run = this.#run(line);
    this.#outOfTurn = run;
    detached(run, (error) => this.context.log.error({ err: error, address: this.address }, "ftp command loop failed"));
  }

  async #run({ verb, argument }: CommandLine): Promise<void> {
    try {
      await this.runCommand(this, verb, argument);
    } catch (error) {
      this.context.log.error({ err: error, address: this.address, verb }, "ftp command failed");
      this.reply(451, "Requested action aborted: local error in processing");
    }
  }

  /**
   * AUTH TLS: from here on the control connection is TLS. Anything the client sent
   * after the AUTH line in clear text is thrown away, so nothing can be injected
   * into the protected session (the STARTTLS injection flaw of CVE-2011-0411).
   */
  startTls(): void {
    const connectionTls = this.context.tls?.forControlConnection();
    if (!connectionTls) return;
    this.tls = connectionTls;
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("end");
    raw.removeAllListeners("close");
    raw.removeAllListeners("error");
    this.#queue = [];
    // A QUIT among the discarded lines was never said.
    this.#quitReceived = false;
    this.#waitingForDrain = false;
    this.#splitter = this.#newSplitter();
    const secured = connectionTls.acceptControl(raw);
    this.socket = secured;
    secured.once("secure", () => {
      this.secure = true;
    });
    this.#attach(secured);
  }

  /**
   * Back to a new connection's state (REIN, AUTH after a login): logged out, no data
   * connection, and every parameter its default (RFC 959 REIN: "all parameters are reset to
   * the default settings"). The TLS of the control connection stays: it cannot be taken off
   * a connection, so PBSZ and PROT start again from where AUTH TLS leaves them.
   */
  reinitialize(): void {
    this.closeData();
    this.logOut();
    this.type = "A";
    this.mlstFacts = MLST_FACTS;
    this.protectionBufferSet = false;
    this.protectData = false;
    this.epsvAll = false;
  }

  /** Drops login state (REIN, or before a new USER). */
  logOut(): void {
    if (this.loggedIn) this.loginStartedAt = Date.now();
    this.releaseSpace?.();
    this.releaseSpace = null;
    this.space = null;
    this.account = null;
    this.anonymous = false;
    this.pendingUser = null;
    this.cwd = "/";
    this.restOffset = 0;
    this.renameFrom = null;
  }

  closeData(): void {
    this.data?.close();
    this.data = null;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    detached(this.transfer?.abort(), (error) => this.context.log.warn({ err: error, address: this.address }, "ftp transfer abort failed"));
    this.closeData();
    this.logOut();
    // After AUTH TLS and before its handshake completes (a client that sends nothing, or half a
    // ClientHello), nothing can reach the client and end() would wait for the handshake: the
    // login timeout (or a shutdown) ends the connection now, not once the destroy below comes.
    if (this.tls && !this.secure) this.socket.destroy();
    else {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    this.slot.release();
    this.context.sessions.delete(this);
    this.context.log.debug({ address: this.address }, "ftp connection closed");
  }
}
