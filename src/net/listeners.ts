import net, { type AddressInfo, type Server, type Socket } from "node:net";
import tls, { type SecureContext, type SecureContextOptions } from "node:tls";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/listen-address.js";
import { formatListenAddress } from "../config/listen-address.js";
import { unmapAddress } from "./address.js";
import { releaseOnClose, type ConnectionLimits, type ConnectionSlot } from "./connection-limits.js";
import { SERVER_TLS } from "./tls-certificate.js";

export interface AcceptedConnection {
  readonly socket: Socket;
  /** The client's address, unmapped (`1.2.3.4`, never `::ffff:1.2.3.4`). */
  readonly address: string;
  readonly secure: boolean;
  /** The connection's place in the limits: freed when the socket closes, or sooner by its service. */
  readonly slot: ConnectionSlot;
}

export interface ListenOptions {
  readonly addresses: readonly ListenAddress[];
  /** When given, every connection is TLS (1.2 or newer, SERVER_TLS's suites) with this certificate; Listeners.setTls replaces it. */
  readonly tls?: SecureContextOptions;
  readonly limits: ConnectionLimits;
  readonly log: Logger;
  /** Seconds a TLS client has to finish the handshake. */
  readonly handshakeTimeoutSeconds?: number;
  onConnection(connection: AcceptedConnection): void;
  /** Says why a plain-text connection is refused, in the protocol's own words, before it is closed. */
  refusalMessage(reason: string): string;
  /**
   * Makes the server of one address when the protocol brings its own (an `http.Server`,
   * which parses and serves each socket from its own "connection" handler). The limits
   * run before that handler; a refused socket is sent its refusal and destroyed at
   * once, so the server's handler only ever sees a dead socket and serves nothing.
   * Without it, each address gets a plain TCP server. Not combined with `tls`.
   */
  createServer?(): Server;
}

/** TLS sockets accepted and still in their handshake: the listeners' until handed to the owner, so closing the listeners ends them. */
class Handshakes {
  readonly #sockets = new Set<Socket>();
  #closed = false;

  add(socket: Socket): void {
    this.#sockets.add(socket);
  }

  /** A handshake that failed or timed out. */
  forget(socket: Socket): void {
    this.#sockets.delete(socket);
  }

  /** False when the listeners closed meanwhile: the socket is destroyed instead of handed on. */
  finish(socket: Socket): boolean {
    this.#sockets.delete(socket);
    if (!this.#closed) return true;
    socket.destroy();
    return false;
  }

  close(): void {
    this.#closed = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}

/** The TLS context new connections get; replaced whole by a reload, so a handshake uses the old or the new one, never a mix. */
interface LiveContext {
  current: SecureContext;
}

function serverContext(options: SecureContextOptions): SecureContext {
  return tls.createSecureContext({ ...options, ...SERVER_TLS });
}

export class Listeners {
  constructor(
    readonly servers: readonly Server[],
    private readonly handshakes: Handshakes = new Handshakes(),
    private readonly secure: LiveContext | null = null,
  ) {}

  /**
   * The certificate and key for the connections accepted from now on (a reload with new
   * TLS files). Connections already made, and handshakes under way, keep their own.
   * Throws, changing nothing, when OpenSSL refuses them.
   */
  setTls(options: SecureContextOptions): void {
    if (!this.secure) throw new Error("these listeners are not TLS listeners");
    this.secure.current = serverContext(options);
  }

  /** The addresses actually bound (port 0 becomes the ephemeral port). */
  addresses(): AddressInfo[] {
    return this.servers.map((server) => server.address() as AddressInfo);
  }

  /**
   * Stops accepting; connections handed out are left to their owner. A TLS handshake still
   * under way is ended: one that finished after a server began to stop would get a whole
   * session nobody closes, and `server.close` would wait for it.
   */
  close(): Promise<void> {
    this.handshakes.close();
    return Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))).then(() => undefined);
  }
}

function listenOn(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    // `::` is dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d and are unmapped on accept.
    server.listen({ host: address.host, port: address.port, ipv6Only: false, backlog: 1024 }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

async function bind(makeServer: () => Server, address: ListenAddress, log: Logger): Promise<Server> {
  const server = makeServer();
  try {
    await listenOn(server, address);
    return server;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A host without IPv6 cannot bind `::`; serve IPv4 rather than not at all.
    if (address.host === "::" && (code === "EAFNOSUPPORT" || code === "EADDRNOTAVAIL")) {
      log.warn({ address: formatListenAddress(address) }, "IPv6 is not available; listening on 0.0.0.0 instead");
      const fallback = makeServer();
      await listenOn(fallback, { host: "0.0.0.0", port: address.port });
      return fallback;
    }
    throw new Error(`cannot listen on ${formatListenAddress(address)}: ${code ?? (error as Error).message}`);
  }
}

/** Binds every address of a service and applies the shared connection limits at accept time. */
export async function startListeners(options: ListenOptions): Promise<Listeners> {
  const { limits, log } = options;
  if (options.createServer && options.tls) throw new Error("startListeners: createServer and tls cannot be combined");
  const admit = (socket: Socket): ConnectionSlot | null => {
    const address = unmapAddress(socket.remoteAddress);
    const verdict = limits.admit(address);
    if (verdict.ok) {
      releaseOnClose(socket, verdict.slot);
      return verdict.slot;
    }
    log.info({ address, reason: verdict.reason }, "connection refused");
    if (options.tls) {
      socket.destroy();
      return null;
    }
    const message = options.refusalMessage(verdict.reason === "too-many-total" ? "Server is full" : "Too many connections from your address");
    if (options.createServer) {
      // The server's own handler runs next and must find nothing to serve. A write to a
      // fresh socket goes to the kernel at once, so the refusal usually still arrives.
      socket.on("error", () => {});
      socket.write(message);
      socket.destroy();
      return null;
    }
    // Read (and discard) so the peer's FIN is seen, and never wait long for it: a refused
    // socket must not linger and hold a file descriptor.
    socket.resume();
    socket.on("error", () => {});
    socket.end(message);
    setTimeout(() => socket.destroy(), 2000).unref();
    return null;
  };

  const secureContext: LiveContext | null = options.tls ? { current: serverContext(options.tls) } : null;
  const handshakeMs = (options.handshakeTimeoutSeconds ?? 10) * 1000;

  const handshakes = new Handshakes();
  /** TLS is layered on the accepted socket, so a handshake that never ends still holds (and is limited to) its slot. */
  const startTls = (raw: Socket, slot: ConnectionSlot): void => {
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: secureContext!.current });
    const address = unmapAddress(raw.remoteAddress);
    const timer = setTimeout(() => socket.destroy(), handshakeMs);
    handshakes.add(socket);
    const forget = (): void => handshakes.forget(socket);
    socket.once("close", forget);
    socket.once("secure", () => {
      clearTimeout(timer);
      socket.removeListener("close", forget);
      if (handshakes.finish(socket)) options.onConnection({ socket, address, secure: true, slot });
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      log.debug({ address, err: error.message }, "TLS handshake failed");
      socket.destroy();
    });
  };

  const makeProtocolServer = (create: () => Server): Server => {
    const server = create();
    server.prependListener("connection", (socket: Socket) => {
      const slot = admit(socket);
      if (slot) options.onConnection({ socket, address: unmapAddress(socket.remoteAddress), secure: false, slot });
    });
    return server;
  };

  const makeTcpServer = (): Server =>
    net.createServer({ noDelay: true }, (socket) => {
      const slot = admit(socket);
      if (!slot) return;
      if (secureContext) startTls(socket, slot);
      else options.onConnection({ socket, address: unmapAddress(socket.remoteAddress), secure: false, slot });
    });

  const { createServer } = options;
  const makeServer = createServer ? () => makeProtocolServer(createServer) : makeTcpServer;

  const servers: Server[] = [];
  try {
    for (const address of options.addresses) servers.push(await bind(makeServer, address, log));
  } catch (error) {
    await new Listeners(servers, handshakes).close();
    throw error;
  }
  return new Listeners(servers, handshakes, secureContext);
}
