import type { FastifyRequest } from "fastify";
import { unmapAddress } from "../net/address.js";

/**
 * The client's address as logs and the brute-force guard see it: unmapped, and
 * taken from X-Forwarded-For only when `http.trustProxy` says a proxy of ours sets it.
 */
export function clientAddress(request: FastifyRequest): string {
  return unmapAddress(request.ip);
}
