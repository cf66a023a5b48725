import net, { type Server, type Socket } from "node:net";
import { randomInt } from "node:crypto";
import type { Logger } from "pino";
import { unmapAddress } from "../net/address.js";
import type { ConnectionTls } from "./ftp-tls.js";

export interface DataChannelOptions {
  /** The control connection's client address: the only one allowed to connect or be connected to. */
  readonly clientAddress: string;
  readonly timeoutMs: number;
  readonly log: Logger;
}

/** The data connection's TLS handshake did not resume the control connection's session. */
export class DataSessionNotResumed extends Error {}

/**
 * How OpenSSL fails a full handshake on a context without a certificate (see
 * ConnectionTls): under TLS 1.3, and under TLS 1.2.
 */
const FULL_HANDSHAKE_REFUSED = new Set(["ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM", "ERR_SSL_NO_SHARED_CIPHER"]);

/**
 * PROT P: the data connection becomes TLS, with the server as TLS server (RFC 4217),
 * with the control connection's TLS (see ConnectionTls). With `requireResumption` its
 * handshake must resume the control connection's session, or the connection is closed
 * and this rejects with DataSessionNotResumed: the peer's address is all the passive
 * port checks, and another process there (the same NAT, a shared host) could connect
 * first; only the real client holds the session (vsftpd's require_ssl_reuse).
 * Called after the 150 reply, as vsftpd and ProFTPD do: some clients (lftp on RETR,
 * for one) start the handshake only once they have seen the 150, so waiting for the
 * handshake before sending it deadlocks until the data timeout.
 */
export function secureDataSocket(socket: Socket, controlTls: ConnectionTls, timeoutMs: number, requireResumption: boolean): Promise<Socket> {
  // A passive socket arrives paused; the TLS layer must read it.
  socket.resume();
  return new Promise((resolve, reject) => {
    const secured = controlTls.acceptData(socket, requireResumption);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.off("close", onClose);
      secured.destroy();
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error("TLS handshake on the data connection timed out")), timeoutMs);
    // ABOR or the session closing destroys the socket mid-handshake: end now, not at the timeout.
    const onClose = (): void => fail(new Error("the data connection closed during the TLS handshake"));
    socket.once("close", onClose);
    const notResumed = (): DataSessionNotResumed => new DataSessionNotResumed("the data connection did not resume the control connection's TLS session");
    secured.once("secure", () => {
      // Cannot happen without a certificate; checked all the same, before a byte is read or written.
      if (requireResumption && !secured.isSessionReused()) return fail(notResumed());
      clearTimeout(timer);
      socket.off("close", onClose);
      // Not yet: under TLS 1.3, Node emits "secure" from inside OpenSSL's handshake, before
      // the server has written its session tickets. A listing written and ended at once
      // then had its close_notify refused (shutdown while in init): the connection ended
      // with a bare FIN, and clients that check (Python's ftplib.FTP_TLS) failed every
      // listing. The tickets go out before that call returns, so the next turn is enough.
      setImmediate(() => resolve(secured));
    });
    secured.once("error", (error: NodeJS.ErrnoException) => fail(requireResumption && FULL_HANDSHAKE_REFUSED.has(error.code ?? "") ? notResumed() : error));
  });
}

/**
 * Ends a data connection cleanly — for TLS, close_notify must go out before the FIN —
 * and waits (at most `timeoutMs`, the timer cleared either way) for the client to
 * close its side, reading and dropping whatever it still sends so its FIN is seen.
 * Never throws: false when the connection failed (reset) on the way out.
 */
export async function endDataConnection(socket: Socket, timeoutMs = 5000): Promise<boolean> {
  let failed = false;
  socket.on("error", () => (failed = true));
  socket.resume();
  socket.end();
  if (!socket.destroyed) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => socket.once("close", resolve)), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
  return !failed;
}

/** A data connection that will be made: passively (we listen) or actively (we connect). */
export interface DataChannel {
  /** Waits for (or makes) the connection, plain; `secureDataSocket` adds TLS for PROT P. */
  open(options: DataChannelOptions): Promise<Socket>;
  /** Stops listening or connecting (a waiting `open` rejects at once) and destroys the connection. */
  close(): void;
  /** A line for STAT: the data connection set up and not yet used. */
  readonly status: string;
}

/**
 * PASV/EPSV: a listener on one port, for one connection. A connection from any
 * address other than the control connection's is refused and logged (RFC 2577:
 * data-port theft); the listener keeps waiting for the real client.
 */
export class PassiveChannel implements DataChannel {
  #accepted: Socket | null = null;
  #waiter: ((outcome: Socket | Error) => void) | null = null;
  #closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly clientAddress: string,
    private readonly log: Logger,
  ) {
    server.on("connection", (socket) => this.#onConnection(socket));
  }

  static async listen(host: string, range: { min: number; max: number }, clientAddress: string, log: Logger): Promise<PassiveChannel> {
    const tryPort = (port: number): Promise<Server> =>
      new Promise((resolve, reject) => {
        const server = net.createServer({ pauseOnConnect: true });
        server.once("error", reject);
        server.listen({ host, port, exclusive: true, backlog: 4 }, () => resolve(server));
      });
    if (range.min === 0 || range.max < range.min) {
      const server = await tryPort(0);
      return new PassiveChannel(server, (server.address() as net.AddressInfo).port, clientAddress, log);
    }
    const size = range.max - range.min + 1;
    const first = randomInt(size);
    for (let i = 0; i < Math.min(size, 64); i++) {
      const port = range.min + ((first + i) % size);
      try {
        const server = await tryPort(port);
        return new PassiveChannel(server, port, clientAddress, log);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      }
    }
    throw new Error("no free passive port in the configured range");
  }

  #onConnection(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const from = unmapAddress(socket.remoteAddress);
    if (from !== this.clientAddress || this.#accepted) {
      this.log.warn({ address: from, expected: this.clientAddress, port: this.port }, "refused a data connection from another address (possible port theft)");
      socket.destroy();
      return;
    }
    // A reset (a killed client, curl -r) makes a write fail: the transfer reports that (426) through
    // its write callback; an 'error' event nobody listens for would end the whole process.
    socket.on("error", ignoreError);
    this.#accepted = socket;
    this.server.close();
    this.#waiter?.(socket);
  }

  get status(): string {
    return this.#accepted ? "Data connection open, waiting for a transfer command" : `Passive mode: listening on port ${this.port} for the data connection`;
  }

  /** The socket stays paused until the transfer's pipeline reads it, so no byte is emitted before anyone listens. */
  open(options: DataChannelOptions): Promise<Socket> {
    if (this.#closed) return Promise.reject(new Error("the data channel was closed"));
    if (this.#accepted) return Promise.resolve(this.#accepted);
    return new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(() => this.#waiter?.(new Error("no data connection was made in time")), options.timeoutMs);
      this.#waiter = (outcome) => {
        clearTimeout(timer);
        this.#waiter = null;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
    });
  }

  close(): void {
    this.#closed = true;
    this.server.close();
    this.#accepted?.destroy();
    this.#waiter?.(new Error("the data channel was closed"));
  }
}

/** PORT/EPRT: we connect to the client's address and port (already checked against bounce attacks). */
export class ActiveChannel implements DataChannel {
  #socket: Socket | null = null;
  #cancel: (() => void) | null = null;
  #closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  get status(): string {
    return `Active mode: the next transfer connects to ${this.host} port ${this.port}`;
  }

  open(options: DataChannelOptions): Promise<Socket> {
    if (this.#closed) return Promise.reject(new Error("the data channel was closed"));
    return new Promise<Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      this.#socket = socket;
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.#cancel = null;
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error("could not connect to the client's data port in time")), options.timeoutMs);
      this.#cancel = () => fail(new Error("the data channel was closed"));
      socket.once("connect", () => {
        clearTimeout(timer);
        this.#cancel = null;
        resolve(socket);
      });
      socket.once("error", fail);
    });
  }

  close(): void {
    this.#closed = true;
    this.#cancel?.();
    this.#socket?.destroy();
  }
}

function ignoreError(): void {}
