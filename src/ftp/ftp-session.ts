import type { Socket } from "node:net";
import tls from "node:tls";
import type { Account } from "../core/accounts/ports.js";
import type { FileSpace } from "../core/files/file-space.js";
import { LineSplitter } from "../net/line-splitter.js";
import { splitCommandLine } from "./command-line.js";
import type { DataChannel } from "./data-channel.js";
import type { FtpServerContext } from "./ftp-context.js";
import { formatReply } from "./replies.js";
import { withoutTelnetCommands } from "./telnet.js";
import { detached } from "../detached.js";

/** Commands queued before we stop reading from the client. */
const MAX_QUEUED_COMMANDS = 64;
/** Reply bytes the client has not read before we stop reading its commands. */
const MAX_UNREAD_REPLY_BYTES = 256 * 1024;

export type FtpCommandRunner = (session: FtpSession, verb: string, argument: string) => void | Promise<void>;

/** A transfer running on the data connection, so ABOR and STAT can reach it. */
export interface ActiveTransfer {
  readonly description: string;
  /** Cuts the data connection; resolves once the transfer has sent its final reply. */
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
  /** USER given, waiting for PASS. */
  pendingUser: string | null = null;
  account: Account | null = null;
  anonymous = false;
  space: FileSpace | null = null;
  releaseSpace: (() => void) | null = null;
  cwd = "/";
  type: "A" | "I" = "A";
  restOffset = 0;
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
  readonly connectedAt = Date.now();
  lastActivity = Date.now();
  #closed = false;
  #splitter: LineSplitter;
  #queue: string[] = [];
  #busy = false;
  #waitingForDrain = false;

  constructor(
    socket: Socket,
    readonly address: string,
    readonly localAddress: string,
    readonly context: FtpServerContext,
    private readonly runCommand: FtpCommandRunner,
    private readonly releaseSlot: () => void,
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

  #newSplitter(): LineSplitter {
    // After AUTH TLS the old splitter may still be walking the clear-text chunk that
    // held the AUTH line: lines it finds then belong to no one and are dropped.
    const splitter: LineSplitter = new LineSplitter(this.context.config.ftp.maxCommandBytes, {
      line: (bytes) => {
        if (splitter === this.#splitter) this.#receive(withoutTelnetCommands(bytes).toString("utf8"));
      },
      overflow: () => {
        if (splitter === this.#splitter) this.reply(500, "Command line too long");
      },
    });
    return splitter;
  }

  #attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#splitter.push(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    socket.on("end", () => this.close());
  }

  reply(code: number, text: string | readonly string[]): void {
    if (this.#closed) return;
    this.socket.write(formatReply(code, text));
  }

  #receive(line: string): void {
    if (this.#closed || line === "") return;
    this.lastActivity = Date.now();
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
        const { verb, argument } = splitCommandLine(line);
        try {
          await this.runCommand(this, verb, argument);
        } catch (error) {
          this.context.log.error({ err: error, address: this.address, verb }, "ftp command failed");
          this.reply(451, "Requested action aborted: local error in processing");
        }
      }
    } finally {
      this.#busy = false;
      if (!this.#closed) this.#throttle();
    }
  }

  /**
   * AUTH TLS: from here on the control connection is TLS. Anything the client sent
   * after the AUTH line in clear text is thrown away, so nothing can be injected
   * into the protected session (the STARTTLS injection flaw of CVE-2011-0411).
   */
  startTls(): void {
    const context = this.context.tls;
    if (!context) return;
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("end");
    raw.removeAllListeners("close");
    raw.removeAllListeners("error");
    this.#queue = [];
    this.#waitingForDrain = false;
    this.#splitter = this.#newSplitter();
    const secured = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    this.socket = secured;
    secured.once("secure", () => {
      this.secure = true;
    });
    this.#attach(secured);
  }

  /** Drops login state (REIN, or before a new USER). */
  logOut(): void {
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
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.releaseSlot();
    this.context.sessions.delete(this);
    this.context.log.debug({ address: this.address }, "ftp connection closed");
  }
}
