import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { targetPath } from "./request-path.js";

/**
 * For an answer that is not a page of the web client (JSON, problems, files): it loads
 * nothing, may not be framed, and a browser led to render one as HTML runs nothing.
 */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Headers every answer carries unless its route set its own (the web client's pages have
 * their own policy, shared files theirs): the type is never sniffed, no Referer leaks
 * the URL, and nothing renders as a page with script.
 */
export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": API_CONTENT_SECURITY_POLICY,
};

/**
 * What every answer of `/f/` carries: the bytes are never run as a page of this
 * site (sandbox, no sources), never sniffed into something else, never cached by
 * anyone but the browser that asked (and re-checked there each time), never
 * embedded by another site.
 */
export const SHARE_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "sandbox; default-src 'none'",
  "cache-control": "private, no-cache",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
};

/**
 * API answers are per caller and often secret (tokens, RFC 6749 §5.1; messages): no cache
 * may keep them. A route with its own Cache-Control (downloads, readiness) keeps it.
 */
const API_CACHE_CONTROL = "no-store";

/**
 * Sets the headers of `request`'s answer, chosen by its path: under `/f/` the share
 * headers, whatever gave the answer (the route, or a refusal before it: no route, a
 * method it does not take, a malformed path), so no refusal there is a page of this
 * site either; elsewhere the defaults a route did not set itself.
 */
export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const path = decodedPath(request.url);
  if (path.startsWith("/f/")) {
    reply.headers(SHARE_HEADERS);
    return;
  }
  for (const [name, value] of Object.entries(DEFAULT_SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
  if (path.startsWith("/api/") && !reply.hasHeader("cache-control")) reply.header("cache-control", API_CACHE_CONTROL);
}

/**
 * The path as the router reads it: it decodes percent-escapes before matching, so `/%66/<id>/x`
 * is a share and `/%61pi/v1/auth/login` the login route; a path that does not decode is left as
 * it came (the router refuses it, with the defaults).
 */
function decodedPath(target: string): string {
  const path = targetPath(target);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (request, reply, payload) => {
    applySecurityHeaders(request, reply);
    return payload;
  });
}

/** The same headers as raw lines, for answers written straight to a socket (raw-problem.ts). */
export const RAW_SECURITY_HEADER_LINES: readonly string[] = [
  ...Object.entries(DEFAULT_SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
  "cache-control: no-store",
];
