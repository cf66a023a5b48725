import http, { type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/listen-address.js";
import type { ConnectionLimits } from "../net/connection-limits.js";
import { startListeners } from "../net/listeners.js";
import type { ServerMetrics } from "./server-metrics.js";

/** A scraper that sends its request slower than this is cut off: /metrics takes no body. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface MetricsListener {
  addresses(): AddressInfo[];
  stop(): Promise<void>;
}

/**
 * `GET /metrics` on listeners of its own (`metrics.listen`), so the scrape port can stay
 * on a private interface while the web door is public. Anything else is 404.
 */
export async function startMetricsListener(addresses: readonly ListenAddress[], metrics: ServerMetrics, limits: ConnectionLimits, log: Logger): Promise<MetricsListener> {
  const sockets = new Set<Socket>();
  const handle = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    if (request.method !== "GET" || (request.url ?? "").split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: only GET /metrics is served here\n");
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { "content-type": metrics.contentType }).end(text),
      (error: unknown) => {
        log.error({ err: error }, "metrics could not be collected");
        response.writeHead(500, { "content-type": "text/plain" }).end("metrics could not be collected\n");
      },
    );
  };
  const listeners = await startListeners({
    addresses,
    limits,
    log,
    refusalMessage: (reason) => `HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: ${reason.length + 1}\r\n\r\n${reason}\n`,
    createServer: (): Server => http.createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, handle),
    onConnection: ({ socket }) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    },
  });
  return {
    addresses: () => listeners.addresses(),
    async stop() {
      const closed = listeners.close();
      // Scrapers keep connections alive; a stop must not wait for their idle timeout.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
