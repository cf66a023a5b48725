import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import { unmapAddress } from "../net/address.js";

declare module "fastify" {
  interface FastifyInstance {
    /** `http.trustProxy` as a hop count (0 = none); set by `buildHttpApp`. */
    readonly trustedProxyHops: number;
  }
}

/** What Fastify's `trustProxy` option accepts as a function: may `hop` (0 = the socket's peer) be believed? */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * Fastify's `trustProxy` for `hops` proxies of ours: the socket's peer and the entries
 * our other proxies appended. A plain number would not do: Fastify 5 trusts nothing
 * for a hop count (it cannot check the peer), so `request.protocol` would ignore
 * X-Forwarded-Proto. With this, `request.protocol` is the last X-Forwarded-Proto
 * value (the nearest proxy's) whenever `hops` > 0, as `upgradeIsSecure` reads it.
 */
export function fastifyProxyTrust(hops: number): ProxyTrust | false {
  return hops > 0 ? (_address, hop) => hop < hops : false;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/**
 * The client's address as logs, the brute-force guard and the connection limits see
 * it, unmapped. With `trustedProxyHops` proxies of ours in front, it is the
 * X-Forwarded-For entry that many places from the right: each proxy appends the
 * address it was reached from, so that one was written by our outermost proxy, and
 * everything left of it is whatever the client chose to send. An entry that is not an
 * IP address (it becomes an IRC host name and a log field), or a header with too few
 * entries (the request did not come through the whole chain), gives the socket's address.
 */
export function forwardedClientAddress(request: IncomingMessage, trustedProxyHops: number): string {
  const socketAddress = unmapAddress(request.socket.remoteAddress);
  if (trustedProxyHops === 0) return socketAddress;
  const entries = headerValue(request.headers["x-forwarded-for"])?.split(",") ?? [];
  const entry = entries.at(-trustedProxyHops)?.trim();
  return entry && isIP(entry) ? unmapAddress(entry) : socketAddress;
}

/** `forwardedClientAddress` for a request of the HTTP API: Fastify's `request.ip` takes non-IP values, so it is not used. */
export function clientAddress(request: FastifyRequest): string {
  return forwardedClientAddress(request.raw, request.server.trustedProxyHops);
}

/**
 * Whether the client reached us over TLS: our listener is TLS, or (with trusted
 * proxies) the nearest one says so in X-Forwarded-Proto — its last value, as
 * Fastify's `request.protocol` reads it with `fastifyProxyTrust`. In a chain, the
 * nearest proxy passes on what the outer one said or replaces it with its own view.
 */
export function upgradeIsSecure(request: IncomingMessage, listenerIsTls: boolean, trustedProxyHops: number): boolean {
  if (listenerIsTls) return true;
  if (trustedProxyHops === 0) return false;
  const proto = headerValue(request.headers["x-forwarded-proto"]);
  return proto?.split(",").pop()?.trim().toLowerCase() === "https";
}
