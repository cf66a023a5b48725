import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { unmapAddress } from "../net/address.js";

/**
 * The client's address as logs and the brute-force guard see it: unmapped, and
 * taken from X-Forwarded-For only when `http.trustProxy` says a proxy of ours sets it.
 */
export function clientAddress(request: FastifyRequest): string {
  return unmapAddress(request.ip);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/**
 * The same rule for a request that never reaches the app (a WebSocket upgrade):
 * with `trustProxy`, the left-most X-Forwarded-For entry (the client as the first
 * proxy saw it), as Fastify's `request.ip` takes it; unlike Fastify, a value that is
 * not an IP address is ignored, since this one becomes an IRC host name.
 */
export function upgradeClientAddress(request: IncomingMessage, trustProxy: boolean): string {
  const socketAddress = unmapAddress(request.socket.remoteAddress);
  if (!trustProxy) return socketAddress;
  const forwarded = headerValue(request.headers["x-forwarded-for"])?.split(",")[0]?.trim();
  return forwarded && isIP(forwarded) ? unmapAddress(forwarded) : socketAddress;
}

/**
 * Whether the client reached us over TLS: our listener is TLS, or (with `trustProxy`)
 * the nearest proxy says so in X-Forwarded-Proto, read as Fastify's `request.protocol`.
 */
export function upgradeIsSecure(request: IncomingMessage, listenerIsTls: boolean, trustProxy: boolean): boolean {
  if (listenerIsTls) return true;
  if (!trustProxy) return false;
  const proto = headerValue(request.headers["x-forwarded-proto"]);
  return proto?.split(",").pop()?.trim().toLowerCase() === "https";
}
