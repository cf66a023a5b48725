import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { SUBPROTOCOL_BINARY, SUBPROTOCOL_TEXT, WebSocketLineTransport } from "../net/websocket-line-transport.js";
import { IrcConnection } from "./connection.js";
import { maxLineBytes } from "./input-lines.js";
import { runCommand } from "./dispatcher.js";
import type { IrcServerContext } from "./server-context.js";

/** A WebSocket client as the HTTP door saw it (address after trusted proxies, TLS or not). */
export interface WebSocketClient {
  readonly address: string;
  readonly secure: boolean;
}

/**
 * How much larger than the longest IRC line a WebSocket message may be before `ws`
 * closes the connection (1009). Between the two the message is refused with 417 like
 * an over-long TCP line and the connection lives on.
 */
export const WEBSOCKET_PAYLOAD_FACTOR = 2;

/** The first IRCv3 subprotocol in the client's order of preference; none offered (or none of ours) = text. */
function chooseSubprotocol(offered: Set<string>): string | false {
  for (const protocol of offered) if (protocol === SUBPROTOCOL_TEXT || protocol === SUBPROTOCOL_BINARY) return protocol;
  return false;
}

/**
 * IRC over WebSocket (IRCv3): turns upgrade requests the HTTP door has checked (path,
 * origin) into IRC connections, the same as a TCP client's apart from the transport.
 * Loaded only when the HTTP door is on: an IRC-only server needs none of `ws`.
 */
export class WebSocketGateway {
  /** Handshakes only (noServer): sockets come from the HTTP door's upgrade event. */
  readonly #server: WebSocketServer;

  constructor(
    private readonly context: IrcServerContext,
    /** True once the IRC service is shutting down: no new connections. */
    private readonly stopping: () => boolean,
  ) {
    this.#server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Frames are made once per event and shared by every recipient: no per-connection compression.
      perMessageDeflate: false,
      maxPayload: WEBSOCKET_PAYLOAD_FACTOR * (maxLineBytes(context.config.irc.maxTagBytes) + 2),
      handleProtocols: chooseSubprotocol,
    });
  }

  /**
   * The socket stays counted in the connection limits under the HTTP door's slot,
   * which is freed when it closes.
   */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer, client: WebSocketClient): void {
    if (this.stopping()) {
      socket.destroy();
      return;
    }
    this.#server.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      if (this.stopping()) {
        ws.close(1001);
        return;
      }
      const binary = ws.protocol === SUBPROTOCOL_BINARY;
      const transport = new WebSocketLineTransport(ws, socket, binary, maxLineBytes(this.context.config.irc.maxTagBytes));
      // The HTTP listener holds this socket's slot in the limits and frees it on close.
      const connection = new IrcConnection(transport, client.address, client.secure, this.context, runCommand, HELD_BY_HTTP);
      this.context.connections.add(connection);
      this.context.log.debug({ address: client.address, secure: client.secure, subprotocol: ws.protocol || null }, "irc websocket connection accepted");
    });
  }
}

/** A WebSocket's slot in the limits is the HTTP listener's, freed when its socket closes. */
const HELD_BY_HTTP = { release(): void {} };
