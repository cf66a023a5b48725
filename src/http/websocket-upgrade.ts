import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { releaseOnClose, type ConnectionLimits } from "../net/connection-limits.js";
import { unmapAddress } from "../net/address.js";
import { forwardedClientAddress, upgradeIsSecure } from "./client-address.js";
import { ProblemError } from "./problems.js";
import { rawProblem } from "./raw-problem.js";
import { targetPath } from "./request-path.js";
import { handshakeProblem } from "./websocket-handshake.js";

/** Where IRC over WebSocket is served on the HTTP listener. */
export const WEBSOCKET_PATH = "/ws";

/** A WebSocket client as the HTTP door saw it. */
export interface WebSocketClient {
  /** After trusted proxies (`http.trustProxy`), unmapped. */
  readonly address: string;
  /** Reached over TLS: our listener, or a trusted proxy that says so. */
  readonly secure: boolean;
}

/**
 * Takes over an upgrade request that passed the HTTP checks (path, a valid handshake, origin) and owns
 * the socket from then on: the IRC adapter, given by the composition root, since the
 * HTTP adapter does not know IRC.
 */
export type WebSocketAcceptor = (request: IncomingMessage, socket: Duplex, head: Buffer, client: WebSocketClient) => void;

export interface UpgradeSettings {
  readonly allowedOrigins: readonly string[];
  /** `http.trustProxy` as a hop count (0 = X-Forwarded-* are ignored). */
  readonly trustedProxyHops: number;
  readonly listenerIsTls: boolean;
}

export interface UpgradeDependencies {
  readonly accept: WebSocketAcceptor | null;
  readonly limits: ConnectionLimits;
  /** Frees the slot the listener took for this socket (under the socket's own address). */
  readonly releaseSlot: (socket: Duplex) => void;
  readonly log: Logger;
}

/**
 * Whether a page of `origin` may open a WebSocket here. A browser always sends Origin
 * on a WebSocket handshake, so a request without one comes from another kind of
 * client (irssi's scripts, a bot), which no page can use to ride on a user's
 * cookies: allowed. The server's own origin (Origin's host:port = the Host header)
 * is always allowed, so its web client works; other origins only when listed.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed page, a file://) and anything malformed
  }
  if (parsed.origin === "null" || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) return false;
  if (allowedOrigins.includes(parsed.origin)) return true;
  if (!host) return false;
  try {
    // Parsed with the Origin's scheme so default ports compare equal (example.org:443 = https://example.org).
    return new URL(`${parsed.protocol}//${host}`).host === parsed.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, problem: ProblemError): void {
  socket.on("error", () => {});
  const headers = Object.entries(problem.headers).map(([name, value]) => `${name}: ${value}`);
  socket.end(rawProblem(problem.toProblem(), headers));
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** The HTTP server's `upgrade` event: checks, then hands `/ws` to the IRC adapter. */
export function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, settings: UpgradeSettings, deps: UpgradeDependencies): void {
  const path = targetPath(request.url ?? "");
  if (path !== WEBSOCKET_PATH || !deps.accept) {
    refuse(socket, new ProblemError("not-found", `No WebSocket endpoint at ${path}; IRC over WebSocket is at ${WEBSOCKET_PATH}`));
    return;
  }
  const invalid = handshakeProblem(request);
  if (invalid) {
    refuse(socket, invalid);
    return;
  }
  const origin = request.headers.origin;
  if (!originAllowed(origin, request.headers.host, settings.allowedOrigins)) {
    deps.log.info({ origin, address: unmapAddress(request.socket.remoteAddress) }, "websocket refused: origin not allowed");
    refuse(socket, new ProblemError("origin-not-allowed", `Origin ${origin} is not allowed; an administrator can add it to http.allowedOrigins`));
    return;
  }
  const client: WebSocketClient = {
    address: forwardedClientAddress(request, settings.trustedProxyHops),
    secure: upgradeIsSecure(request, settings.listenerIsTls, settings.trustedProxyHops),
  };
  // Behind a trusted proxy every socket comes from the proxy's address: a connection
  // that lives as long as a chat session is counted against its real client instead.
  if (client.address !== unmapAddress(request.socket.remoteAddress)) {
    const verdict = deps.limits.admit(client.address);
    if (!verdict.ok) {
      const reason = verdict.reason === "too-many-total" ? "Server is full" : "Too many connections from your address";
      refuse(socket, new ProblemError("unavailable", reason, { "Retry-After": "5" }));
      return;
    }
    deps.releaseSlot(socket);
    releaseOnClose(socket, verdict.slot);
  }
  // `ws` takes an Upgrade that names websocket alone; one that offered others too chose it here.
  request.headers.upgrade = "websocket";
  deps.accept(request, socket, head, client);
}
