import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { ProblemError } from "./problems.js";

/** The only version of the protocol there is (RFC 6455 §4.1); drafts (8) are not spoken. */
export const WEBSOCKET_VERSION = "13";

/** A token (RFC 9110 §5.6.2). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** 16 bytes in base64: 22 characters and the padding (RFC 6455 §4.1). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/** The elements of a comma-separated header (RFC 9110 §5.6.1), without the whitespace around them; empty ones stay, for callers that refuse them. */
function listElements(value: string): string[] {
  return value.split(",").map((element) => element.replace(/^[ \t]+|[ \t]+$/g, ""));
}

/**
 * Whether `Upgrade` names WebSocket among the protocols it offers (a list, names
 * case-insensitive: RFC 9110 §7.8). Only that is an upgrade here: a request offering
 * others alone (h2c, which curl --http2 sends with every http:// request) is answered
 * over HTTP/1.1 as if it had not asked, as the RFC lets a server do.
 */
export function asksForWebSocket(headers: IncomingHttpHeaders): boolean {
  const upgrade = headers.upgrade;
  return upgrade !== undefined && listElements(upgrade).some((protocol) => protocol.toLowerCase() === "websocket");
}

/** `Sec-WebSocket-Protocol` as RFC 6455 §4.1 has it: one or more distinct tokens, comma-separated. */
function isProtocolList(value: string): boolean {
  const protocols = listElements(value);
  return protocols.every((protocol) => TOKEN.test(protocol)) && new Set(protocols).size === protocols.length;
}

/**
 * What makes a request that asks for WebSocket no valid opening handshake (RFC 6455
 * §4.2.1), refused here as a problem like every other answer: `ws` would refuse the same
 * requests with its own text/html page, and takes only what passes this.
 */
export function handshakeProblem(request: IncomingMessage): ProblemError | null {
  const headers = request.headers;
  if (request.method !== "GET") return new ProblemError("method-not-allowed", "A WebSocket handshake is a GET (RFC 6455 §4.1)", { allow: "GET" });
  if (request.httpVersion === "1.0") return new ProblemError("invalid-request", "A WebSocket handshake is HTTP/1.1 (RFC 6455 §4.1)");
  const key = headers["sec-websocket-key"];
  if (key === undefined || !KEY.test(key)) return new ProblemError("invalid-request", "Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 §4.1)");
  const protocols = headers["sec-websocket-protocol"];
  if (protocols !== undefined && !isProtocolList(protocols)) {
    return new ProblemError("invalid-request", "Sec-WebSocket-Protocol must be a comma-separated list of distinct tokens (RFC 6455 §4.1)");
  }
  // A missing version is no version this server speaks either; both say which it does (RFC 6455 §4.4).
  if (headers["sec-websocket-version"] !== WEBSOCKET_VERSION) {
    return new ProblemError("websocket-version", `This server speaks WebSocket version ${WEBSOCKET_VERSION} (RFC 6455) only`, {
      "sec-websocket-version": WEBSOCKET_VERSION,
      // A 426 names the protocol to upgrade to (RFC 9110 §15.5.22).
      upgrade: "websocket",
    });
  }
  return null;
}
