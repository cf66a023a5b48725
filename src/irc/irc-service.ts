import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContextOptions } from "node:tls";
import { WebSocketServer, type WebSocket } from "ws";
import type { ConnectionLimits } from "../net/connection-limits.js";
import { startListeners, type AcceptedConnection, type Listeners } from "../net/listeners.js";
import { TcpLineTransport } from "../net/tcp-line-transport.js";
import { SUBPROTOCOL_BINARY, SUBPROTOCOL_TEXT, WebSocketLineTransport } from "../net/websocket-line-transport.js";
import { IrcConnection, maxLineBytes } from "./connection.js";
import { runCommand } from "./dispatcher.js";
import { enforceNickDeadline } from "./accounts/nick-ownership.js";
import type { IrcServerContext } from "./server-context.js";

/**
 * The IRC door of the server: its listeners, its connections and the one timer
 * that enforces registration and ping timeouts for all of them (no timer per
 * connection, which matters with 10k idle clients).
 */
/** A WebSocket client as the HTTP door saw it (address after trusted proxies, TLS or not). */
export interface WebSocketClient {
  readonly address: string;
  readonly secure: boolean;
}

/** The first IRCv3 subprotocol in the client's order of preference; none offered (or none of ours) = text. */
function chooseSubprotocol(offered: Set<string>): string | false {
  for (const protocol of offered) if (protocol === SUBPROTOCOL_TEXT || protocol === SUBPROTOCOL_BINARY) return protocol;
  return false;
}

/**
 * How much larger than the longest IRC line a WebSocket message may be before `ws`
 * closes the connection (1009). Between the two the message is refused with 417 like
 * an over-long TCP line and the connection lives on.
 */
export const WEBSOCKET_PAYLOAD_FACTOR = 2;

export class IrcService {
  #plain: Listeners | null = null;
  #secure: Listeners | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #stopping = false;
  /** Handshakes only (noServer): sockets come from the HTTP door's upgrade event. */
  readonly #webSockets: WebSocketServer;

  constructor(
    readonly context: IrcServerContext,
    private readonly limits: ConnectionLimits,
  ) {
    this.#webSockets = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Frames are made once per event and shared by every recipient: no per-connection compression.
      perMessageDeflate: false,
      maxPayload: WEBSOCKET_PAYLOAD_FACTOR * (maxLineBytes(context.config.irc.maxTagBytes) + 2),
      handleProtocols: chooseSubprotocol,
    });
  }

  async start(tls: SecureContextOptions | null): Promise<void> {
    const { config, log } = this.context;
    const common = {
      limits: this.limits,
      log,
      onConnection: (accepted: AcceptedConnection) => this.#accept(accepted),
      refusalMessage: (reason: string) => `ERROR :Closing link: (${reason})\r\n`,
    };
    this.#plain = await startListeners({ ...common, addresses: config.irc.listen });
    if (tls && config.irc.tlsListen.length > 0) this.#secure = await startListeners({ ...common, addresses: config.irc.tlsListen, tls });
    const irc = config.irc;
    const period = Math.min(5, Math.max(0.2, Math.min(irc.registrationTimeoutSeconds, irc.pingIntervalSeconds, irc.pingTimeoutSeconds) / 4));
    this.#sweeper = setInterval(() => this.#sweep(), period * 1000);
    this.#sweeper.unref();
  }

  addresses(): { plain: AddressInfo[]; tls: AddressInfo[] } {
    return { plain: this.#plain?.addresses() ?? [], tls: this.#secure?.addresses() ?? [] };
  }

  #accept({ socket, address, secure, release }: AcceptedConnection): void {
    const transport = new TcpLineTransport(socket, secure, maxLineBytes(this.context.config.irc.maxTagBytes));
    const connection = new IrcConnection(transport, address, secure, this.context, runCommand, release);
    this.context.connections.add(connection);
    this.context.log.debug({ address, secure }, "irc connection accepted");
  }

  /**
   * IRC over WebSocket: takes an upgrade request the HTTP door has checked (path,
   * origin) and makes it one more IRC connection. The socket stays counted in the
   * connection limits under the HTTP door's slot, freed when it closes.
   */
  acceptWebSocket(request: IncomingMessage, socket: Duplex, head: Buffer, client: WebSocketClient): void {
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    this.#webSockets.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      if (this.#stopping) {
        ws.close(1001);
        return;
      }
      const binary = ws.protocol === SUBPROTOCOL_BINARY;
      const transport = new WebSocketLineTransport(ws, socket, binary, maxLineBytes(this.context.config.irc.maxTagBytes));
      // The HTTP listener holds this socket's slot in the limits and frees it on close.
      const connection = new IrcConnection(transport, client.address, client.secure, this.context, runCommand, () => {});
      this.context.connections.add(connection);
      this.context.log.debug({ address: client.address, secure: client.secure, subprotocol: ws.protocol || null }, "irc websocket connection accepted");
    });
  }

  #sweep(): void {
    const now = Date.now();
    const irc = this.context.config.irc;
    for (const connection of this.context.connections) {
      if (!connection.registered) {
        if (now - connection.connectedAt > irc.registrationTimeoutSeconds * 1000) connection.close("Registration timed out");
        continue;
      }
      enforceNickDeadline(connection, now);
      if (connection.pingSentAt === 0) {
        if (now - connection.lastSeen > irc.pingIntervalSeconds * 1000) {
          connection.pingSentAt = now;
          connection.serverLine("PING", this.context.serverName);
        }
      } else if (now - connection.pingSentAt > irc.pingTimeoutSeconds * 1000) {
        connection.close(`Ping timeout: ${Math.round((now - connection.lastSeen) / 1000)} seconds`);
      }
    }
  }

  /** Stops accepting, tells every client why, and waits (bounded) for them to go. */
  async shutdown(reason: string, timeoutMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    const closing = Promise.all([this.#plain?.close(), this.#secure?.close()]);
    const transports = [...this.context.connections].map((connection) => connection.transport);
    for (const connection of [...this.context.connections]) connection.close(reason, true, true);
    const gone = Promise.all(transports.map((transport) => transport.whenClosed));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([gone, deadline]);
    clearTimeout(timer);
    for (const transport of transports) transport.destroy();
    await closing;
  }
}
