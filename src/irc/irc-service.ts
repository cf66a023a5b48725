import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { SecureContextOptions } from "node:tls";
import type { ConnectionLimits } from "../net/connection-limits.js";
import { startListeners, type AcceptedConnection, type Listeners } from "../net/listeners.js";
import { TcpLineTransport } from "../net/tcp-line-transport.js";
import { IrcConnection } from "./connection.js";
import { maxLineBytes } from "./input-lines.js";
import type { WebSocketClient } from "./websocket-gateway.js";
import { runCommand } from "./dispatcher.js";
import { enforceNickDeadlines } from "./accounts/nick-ownership.js";
import { expireClientBatch } from "./multiline-input.js";
import type { IrcServerContext } from "./server-context.js";

/**
 * The IRC door of the server: its listeners, its connections and the one timer
 * that enforces registration, ping and multiline-batch timeouts for all of them, and
 * registered-nick deadlines for all users (no timer per connection, which matters with
 * 10k idle clients).
 */
export class IrcService {
  #plain: Listeners | null = null;
  #secure: Listeners | null = null;
  #sweeper: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(
    readonly context: IrcServerContext,
    private readonly limits: ConnectionLimits,
  ) {}

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
    const period = Math.min(5, Math.max(0.2, Math.min(irc.registrationTimeoutSeconds, irc.pingIntervalSeconds, irc.pingTimeoutSeconds, irc.multiline.timeoutSeconds) / 4));
    this.#sweeper = setInterval(() => this.#sweep(), period * 1000);
    this.#sweeper.unref();
  }

  /** The certificate and key the TLS listeners give connections from now on (a reload); throws, changing nothing, when OpenSSL refuses them. */
  setTls(tls: SecureContextOptions): void {
    this.#secure?.setTls(tls);
  }

  addresses(): { plain: AddressInfo[]; tls: AddressInfo[] } {
    return { plain: this.#plain?.addresses() ?? [], tls: this.#secure?.addresses() ?? [] };
  }

  #accept({ socket, address, secure, slot }: AcceptedConnection): void {
    const transport = new TcpLineTransport(socket, secure, maxLineBytes(this.context.config.irc.maxTagBytes));
    const connection = new IrcConnection(transport, address, secure, this.context, runCommand, slot);
    this.context.connections.add(connection);
    this.context.log.debug({ address, secure }, "irc connection accepted");
  }

  /**
   * IRC over WebSocket, for the HTTP door's upgrade event: loads the WebSocket side
   * (the `ws` library) only when asked, so an IRC-only start does without it.
   */
  async webSocketAcceptor(): Promise<(request: IncomingMessage, socket: Duplex, head: Buffer, client: WebSocketClient) => void> {
    const { WebSocketGateway } = await import("./websocket-gateway.js");
    const gateway = new WebSocketGateway(this.context, () => this.#stopping);
    return (request, socket, head, client) => gateway.accept(request, socket, head, client);
  }

  #sweep(): void {
    const now = Date.now();
    const irc = this.context.config.irc;
    for (const connection of this.context.connections) {
      if (!connection.registered) {
        if (now - connection.connectedAt > irc.registrationTimeoutSeconds * 1000) connection.close("Registration timed out");
        continue;
      }
      expireClientBatch(connection, now);
      if (connection.pingSentAt === 0) {
        if (now - connection.lastSeen > irc.pingIntervalSeconds * 1000) {
          connection.pingSentAt = now;
          // The timer's, not an answer: never inside a labelled reply of a command still running.
          connection.sendUnlabelled(() => connection.serverLine("PING", this.context.serverName));
        }
      } else if (now - connection.pingSentAt > irc.pingTimeoutSeconds * 1000) {
        connection.close(`Ping timeout: ${Math.round((now - connection.lastSeen) / 1000)} seconds`);
      }
    }
    // Over users, not connections: a user keeps its nick with no connection (always-on).
    enforceNickDeadlines(this.context, now);
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
