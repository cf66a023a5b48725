import type { Socket } from "node:net";
import type { ActiveTransfer, FtpSession } from "../ftp-session.js";
import { DataSessionNotResumed, secureDataSocket, type DataChannel } from "../data-channel.js";
import type { TransferOutcome, TransferTally } from "../ftp-traffic.js";
import { tlsRequired } from "../tls-policy.js";

class DataTlsFailed extends Error {}

interface TransferReply {
  readonly code: number;
  readonly text: string;
}

type TransferWork = (socket: Socket) => Promise<TransferReply>;

const CANNOT_OPEN: TransferReply = { code: 425, text: "Cannot open data connection" };
const TLS_FAILED: TransferReply = { code: 425, text: "TLS negotiation on the data connection failed" };
/** 522: vsftpd's reply to the same refusal (its require_ssl_reuse, "SSL connection failed; session reuse required"). */
const TLS_NOT_RESUMED: TransferReply = { code: 522, text: "TLS session of the data connection does not resume the control connection's session; refused" };
const CONNECTION_CLOSED: TransferReply = { code: 426, text: "Connection closed; transfer aborted" };
const ABORTED: TransferReply = { code: 426, text: "Transfer aborted" };

function endOf(code: number, aborted: boolean): TransferOutcome {
  if (aborted) return "aborted";
  return code === 226 ? "complete" : "failed";
}

/**
 * One transfer, owned by the session (`session.transfer`) from before it waits for its
 * data connection: ABOR and the session closing then reach the listener or the
 * connection attempt, and `release` (the file RETR opened) runs at once, not after
 * `ftp.dataTimeoutSeconds` or after a session that is gone got its file sent.
 */
class Transfer implements ActiveTransfer {
  #aborted = false;
  #socket: Socket | null = null;
  #done: Promise<void> = Promise.resolve();
  #markStarted: () => void = () => {};
  /** Settles once the 150 is sent, or the transfer ended without it: the command loop goes on from there. */
  readonly started = new Promise<void>((resolve) => (this.#markStarted = resolve));

  constructor(
    private readonly session: FtpSession,
    private readonly channel: DataChannel,
    readonly description: string,
    private readonly tally: TransferTally,
    private readonly work: TransferWork,
    private readonly release: () => void,
  ) {}

  get waiting(): boolean {
    return this.#socket === null;
  }

  abort(): Promise<void> {
    this.#aborted = true;
    // Closing the channel fails an `open` still waiting, so the transfer ends now.
    this.channel.close();
    this.#socket?.destroy();
    return this.#done;
  }

  finished(): Promise<void> {
    return this.#done;
  }

  start(): void {
    this.#done = this.#run();
  }

  /** Never rejects: every failure becomes the final reply. */
  async #run(): Promise<void> {
    const outcome = await this.#connectAndWork();
    if (this.session.transfer === this) this.session.transfer = null;
    this.release();
    this.channel.close();
    const final = this.#aborted ? ABORTED : outcome;
    // Cut by the client: ABOR, or its control connection gone (a client killed or closed mid-transfer).
    this.tally.ended(endOf(final.code, this.#aborted || (final.code !== 226 && (this.session.hungUp || this.session.closed))));
    this.session.reply(final.code, final.text);
    this.session.lastActivity = Date.now();
    this.#markStarted();
  }

  async #connectAndWork(): Promise<TransferReply> {
    const socket = await this.#connect();
    if (!socket) return CANNOT_OPEN;
    // STOU's is exactly "150 FILE: <name>" (RFC 1123 4.1.2.9): clients read the name from it.
    this.session.reply(150, this.description.startsWith("FILE: ") ? this.description : `Opening ${this.session.type === "I" ? "BINARY" : "ASCII"} mode data connection for ${this.description}`);
    this.#markStarted();
    try {
      return await this.work(await this.#prepare(socket));
    } catch (error) {
      this.session.context.log.debug({ address: this.session.address, err: (error as Error).message }, "ftp transfer failed");
      if (error instanceof DataSessionNotResumed) return TLS_NOT_RESUMED;
      return error instanceof DataTlsFailed ? TLS_FAILED : CONNECTION_CLOSED;
    }
  }

  /** The data connection; null when it could not be made, or the transfer was cut while waiting for it. */
  async #connect(): Promise<Socket | null> {
    const { log } = this.session.context;
    try {
      const socket = await this.channel.open({ clientAddress: this.session.address, timeoutMs: this.#timeoutMs(), log });
      // ABOR or the session closing may come in the same turn as the connection: nothing is sent then.
      if (this.#aborted || this.session.closed) {
        socket.destroy();
        return null;
      }
      this.#socket = socket;
      return socket;
    } catch (error) {
      if (!this.#aborted) log.info({ address: this.session.address, err: (error as Error).message }, "ftp data connection failed");
      return null;
    }
  }

  /** PROT P: the handshake comes after the 150 (see secureDataSocket). */
  async #prepare(socket: Socket): Promise<Socket> {
    const { tls, address, context } = this.session;
    let ready = socket;
    if (this.session.protectData && tls) {
      try {
        ready = await secureDataSocket(socket, tls, this.#timeoutMs(), context.config.ftp.tlsRequireSessionReuse);
      } catch (error) {
        if (!(error instanceof DataSessionNotResumed)) throw new DataTlsFailed((error as Error).message);
        context.log.info({ address }, "refused a protected data connection that did not resume the control connection's TLS session");
        throw error;
      }
      this.#socket = ready;
      if (this.#aborted) throw new Error("aborted during the TLS handshake");
    }
    ready.setTimeout(this.#timeoutMs(), () => ready.destroy());
    return ready;
  }

  #timeoutMs(): number {
    return this.session.context.config.ftp.dataTimeoutSeconds * 1000;
  }
}

/**
 * Uses the data connection the client set up (PASV/EPSV/PORT/EPRT) for one transfer: the
 * 150 once connected, `work` on it beside the command loop, then 226 or the failure. The
 * returned promise settles at the 150 (or at the end, when there was none), so replies to
 * commands pipelined after this one come after it, in order; while it waits for the data
 * connection only ABOR is taken out of turn (see FtpSession). ABOR (or the session closing)
 * closes the channel or destroys the socket, which ends the wait or `work` with a 426.
 * `release` runs once whatever happens (the file opened for RETR is closed even when
 * `work` never ran). `tally` counts how it ended (`work` counts the bytes).
 */
export function runTransfer(session: FtpSession, tally: TransferTally, description: string, work: TransferWork, release: () => void = () => {}): Promise<void> {
  const channel = session.data;
  session.data = null;
  if (!channel || session.transfer || session.hungUp) {
    release();
    channel?.close();
    if (!channel) session.reply(425, "Use PASV, EPSV, PORT or EPRT first");
    // A client that hung up will not come for a data connection.
    else if (session.transfer) session.reply(450, "A transfer is already in progress");
    else session.reply(CANNOT_OPEN.code, CANNOT_OPEN.text);
    return Promise.resolve();
  }
  // Files and listings in clear beside a login made over TLS: refused before any byte goes (RFC 4217 9, as vsftpd).
  if (tlsRequired(session) && !session.protectData) {
    release();
    channel.close();
    session.reply(521, "Data connections must be protected: send PBSZ 0 and PROT P first");
    return Promise.resolve();
  }
  const transfer = new Transfer(session, channel, description, tally, work, release);
  session.transfer = transfer;
  transfer.start();
  session.transferWaiting();
  return transfer.started;
}
