import http, { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo, Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/listen-address.js";
import type { ConnectionLimits } from "../net/connection-limits.js";
import { startListeners, type Listeners } from "../net/listeners.js";
import { PROBLEM_CONTENT_TYPE, ProblemError, genericProblem, type Problem } from "./problems.js";
import { isStreamingUpload } from "./streamed-body.js";
import { rawProblem } from "./raw-problem.js";
import { handleUpgrade, type UpgradeSettings, type WebSocketAcceptor } from "./websocket-upgrade.js";

/** Socket-level timeouts: a client that sends its headers or body slowly cannot hold a connection for long. */
export interface HttpTimeouts {
  /** `http.headersTimeoutSeconds`, in milliseconds. */
  readonly headersMs: number;
  /** `http.requestTimeoutSeconds`, in milliseconds. */
  readonly requestMs: number;
}

const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * How often Node looks for connections past those deadlines. Its default (30 s) let a
 * 10 s header deadline run to 40 s; checked every second, a deadline is kept within a second.
 */
const MAX_CHECKING_INTERVAL_MS = 1_000;

/** What a connection over the shared limits gets before it is closed. */
function refusal(reason: string): string {
  return rawProblem(new ProblemError("unavailable", reason).toProblem(), ["Retry-After: 5"]);
}

/**
 * Bytes that are not HTTP (or headers too large, or too slow) never reach the app;
 * Node's own answer would be a bare status line, ours is a problem like every other.
 */
function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A file upload may take longer than the whole-request limit: it has its own idle timeout (streamed-body.ts).
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && isStreamingUpload(socket as Socket)) return;
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  socket.end(rawProblem(genericProblem(status, status === 400 ? "The request is not valid HTTP" : (STATUS_CODES[status] ?? "Error"))));
}

/**
 * The web door: one `http.Server` per configured address, each bound through the
 * shared listeners (dual-stack with IPv4 fallback, connection limits shared with
 * IRC and FTP) and handing every request to the one Fastify app.
 */
export class HttpService {
  #listeners: Listeners | null = null;
  /** Each live socket's slot in the connection limits, for a WebSocket moved to its real client (see websocket-upgrade.ts). */
  readonly #slots = new WeakMap<Duplex, () => void>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly timeouts: HttpTimeouts,
    /** IRC over WebSocket at /ws; null answers every upgrade with 404. */
    private readonly webSocket: { readonly accept: WebSocketAcceptor; readonly settings: UpgradeSettings } | null = null,
  ) {}

  async start(addresses: readonly ListenAddress[]): Promise<void> {
    await this.app.ready();
    if (addresses.length === 0) return;
    this.#listeners = await startListeners({
      addresses,
      limits: this.limits,
      log: this.log,
      createServer: () => {
        const { headersMs, requestMs } = this.timeouts;
        const server = http.createServer(
          {
            headersTimeout: headersMs,
            requestTimeout: requestMs,
            // A quarter of the shorter deadline when it is short (tests), so the overshoot stays small.
            connectionsCheckingInterval: Math.max(50, Math.min(MAX_CHECKING_INTERVAL_MS, Math.floor(headersMs / 4))),
          },
          (request, response) => this.app.routing(request, response),
        );
        server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
        server.on("clientError", onClientError);
        server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
        return server;
      },
      // http.Server owns the socket from here; the limits slot is freed when it closes.
      onConnection: ({ socket, release }) => this.#slots.set(socket, release),
      refusalMessage: refusal,
    });
  }

  #upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const settings = this.webSocket?.settings ?? { allowedOrigins: [], trustProxy: false, listenerIsTls: false };
    handleUpgrade(request, socket, head, settings, {
      accept: this.webSocket?.accept ?? null,
      limits: this.limits,
      releaseSlot: (released) => this.#slots.get(released)?.(),
      log: this.log,
    });
  }

  addresses(): AddressInfo[] {
    return this.#listeners?.addresses() ?? [];
  }

  /** Stops accepting, lets requests in flight finish within `timeoutMs`, then cuts what is left. */
  async shutdown(timeoutMs: number): Promise<void> {
    const listeners = this.#listeners;
    if (listeners) {
      // http.Server.close() also drops idle keep-alive connections; it resolves when the busy ones end.
      const closing = listeners.close();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([closing, deadline]);
      clearTimeout(timer);
      for (const server of listeners.servers) (server as http.Server).closeAllConnections();
      await closing;
    }
    await this.app.close();
  }
}
