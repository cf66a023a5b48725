import http, { STATUS_CODES, maxHeaderSize } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo, Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ListenAddress } from "../config/listen-address.js";
import type { ConnectionLimits, ConnectionSlot } from "../net/connection-limits.js";
import { startListeners, type Listeners } from "../net/listeners.js";
import { PROBLEM_CONTENT_TYPE, ProblemError, genericProblem, type Problem } from "./problems.js";
import { isDiscardingRefusedBody, isStreamingUpload } from "./streamed-body.js";
import { PipelinedRequests } from "./pipelined-requests.js";
import { rawProblem, sendRawProblem } from "./raw-problem.js";
import { handleUpgrade, type UpgradeSettings, type WebSocketAcceptor } from "./websocket-upgrade.js";
import { ServerRequest, isIgnoredUpgrade } from "./server-request.js";

/**
 * What one connection may cost: a client that sends its headers or body slowly cannot
 * hold it for long, and one that pipelines requests without reading the answers cannot
 * make the server hold more than a few of them.
 */
export interface HttpConnectionSettings {
  /** `http.headersTimeoutSeconds`, in milliseconds. */
  readonly headersMs: number;
  /** `http.requestTimeoutSeconds`, in milliseconds. */
  readonly requestMs: number;
  /** Requests that may wait on one connection for the answers before them (pipelined-requests.ts). */
  readonly maxPipelinedRequests: number;
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

/** How long a refused socket that is no request's any more (an upgrade, a CONNECT) may take to read its answer. */
const REFUSAL_LINGER_MS = 2_000;

const UNSUPPORTED_VERSION = "This server speaks HTTP/1.1 (and HTTP/1.0)";

/** Parser errors with an answer of their own; any other is 400 "not valid HTTP". */
const CLIENT_ERROR_ANSWERS: Readonly<Record<string, readonly [status: number, detail: string]>> = {
  HPE_HEADER_OVERFLOW: [431, STATUS_CODES[431] ?? "Request Header Fields Too Large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, STATUS_CODES[408] ?? "Request Timeout"],
  // llhttp takes HTTP/0.9, 1.x and 2.0 in a request line and refuses other versions here
  // (those it takes are refused in requestProblem); an HTTP/2 connection preface stops it too.
  HPE_INVALID_VERSION: [505, UNSUPPORTED_VERSION],
  HPE_PAUSED_H2_UPGRADE: [505, UNSUPPORTED_VERSION],
};

/** What Node's parser says with a `clientError`: the bytes it was given, and how far into them it got. */
interface ParseError extends NodeJS.ErrnoException {
  readonly rawPacket?: unknown;
  readonly bytesParsed?: unknown;
}

/** A method (a token) and a space, then the target as far as it went: the start of a request line (RFC 9112 §3). */
const REQUEST_LINE_START = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S*$/;

/**
 * Whether Node's limit on a request's head (the request line and the headers) was passed
 * in the request line: the line the parser stopped in starts like one. The line has to
 * start within the bytes the parser was given, after a line break or where a request
 * began (a fresh or idle connection); one that began in an earlier read could be the
 * rest of a header value, and stays 431.
 */
function isOverlongTarget(error: ParseError, socket: Socket, beganRequest: (offset: number) => boolean): boolean {
  const { rawPacket: packet, bytesParsed: parsed } = error;
  if (!Buffer.isBuffer(packet) || typeof parsed !== "number") return false;
  const head = packet.subarray(0, parsed).toString("latin1");
  const lineStart = head.lastIndexOf("\n") + 1;
  if (lineStart === 0 && !beganRequest(socket.bytesRead - packet.length)) return false;
  return REQUEST_LINE_START.test(head.slice(lineStart));
}

const OVERLONG_TARGET = new ProblemError("uri-too-long", `The request target does not fit in the ${maxHeaderSize / 1024} KiB a request line and headers may take`).toProblem();

/**
 * What is wrong with a request as an HTTP message, whatever its route: a version other
 * than 1.x, which llhttp lets through for 0.9 and 2.0; more than one Host, which Node
 * folds into the first; none in HTTP/1.1 (RFC 9112 §3.2), which Node would answer with a
 * bare 400 (`requireHostHeader` is off for that). Checked where Node hands the request
 * over (request, expectation and upgrade listeners), not in a Fastify hook, because
 * upgrades and expectations never reach Fastify and a wrong message has no route to run.
 */
function requestProblem(request: http.IncomingMessage): Problem | null {
  if (request.httpVersionMajor !== 1) return genericProblem(505, `${UNSUPPORTED_VERSION}, not HTTP/${request.httpVersion}`);
  let hosts = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) if (request.rawHeaders[i]?.toLowerCase() === "host") hosts++;
  if (hosts > 1) return new ProblemError("invalid-request", "A request has one Host header (RFC 9112 §3.2)").toProblem();
  if (hosts === 0 && request.httpVersionMinor === 1) return new ProblemError("invalid-request", "An HTTP/1.1 request needs a Host header (RFC 9112 §3.2)").toProblem();
  return null;
}

/** Node's answer to any `Expect` but 100-continue would be a bare 417 (RFC 9110 §10.1.1). */
function unmetExpectation(request: http.IncomingMessage): Problem {
  return genericProblem(417, `Only "Expect: 100-continue" is understood, not "${request.headers.expect ?? ""}"`);
}

/** A problem for a socket Node has handed over (an upgrade, a CONNECT): written, then closed even if never read. */
function refuseSocket(socket: Duplex, problem: Problem, extraHeaders: readonly string[] = []): void {
  socket.on("error", () => {});
  socket.end(rawProblem(problem, extraHeaders));
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

/**
 * CONNECT asks for a tunnel: this is no proxy. Without a listener Node would drop the
 * connection without a word. The empty `Allow` says no method opens a tunnel (RFC 9110 §10.2.1).
 */
function refuseConnect(request: http.IncomingMessage, socket: Duplex): void {
  const problem = requestProblem(request) ?? new ProblemError("method-not-allowed", "This server is not a proxy: CONNECT is not served").toProblem();
  refuseSocket(socket, problem, problem.status === 405 ? ["Allow:"] : []);
}

/**
 * The web door: one `http.Server` per configured address, each bound through the
 * shared listeners (dual-stack with IPv4 fallback, connection limits shared with
 * IRC and FTP) and handing every request to the one Fastify app.
 */
export class HttpService {
  #listeners: Listeners | null = null;
  /** Each live socket's slot in the connection limits, for a WebSocket moved to its real client (see websocket-upgrade.ts). */
  readonly #slots = new WeakMap<Duplex, ConnectionSlot>();
  readonly #pipelined: PipelinedRequests;

  constructor(
    private readonly app: FastifyInstance,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly settings: HttpConnectionSettings,
    /** IRC over WebSocket at /ws; null answers every upgrade with 404. */
    private readonly webSocket: { readonly accept: WebSocketAcceptor; readonly settings: UpgradeSettings } | null = null,
  ) {
    this.#pipelined = new PipelinedRequests(settings.maxPipelinedRequests, log);
  }

  async start(addresses: readonly ListenAddress[]): Promise<void> {
    await this.app.ready();
    if (addresses.length === 0) return;
    this.#listeners = await startListeners({
      addresses,
      limits: this.limits,
      log: this.log,
      createServer: () => {
        const { headersMs, requestMs } = this.settings;
        const server = http.createServer(
          {
            // Only a WebSocket handshake goes to the 'upgrade' listener; other Upgrade requests are served here.
            IncomingMessage: ServerRequest,
            headersTimeout: headersMs,
            requestTimeout: requestMs,
            // A quarter of the shorter deadline when it is short (tests), so the overshoot stays small.
            connectionsCheckingInterval: Math.max(50, Math.min(MAX_CHECKING_INTERVAL_MS, Math.floor(headersMs / 4))),
            // Its bare 400 for a missing Host becomes requestProblem's problem.
            requireHostHeader: false,
          },
          (request, response) => this.#pipelined.take(request, response, () => this.#serve(request, response)),
        );
        server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
        server.on("clientError", (error: ParseError, socket: Duplex) => this.#onClientError(error, socket as Socket));
        // Node's default sends 100 Continue for any request; a refused one should not be asked for its body.
        server.on("checkContinue", (request: http.IncomingMessage, response: http.ServerResponse) =>
          this.#pipelined.take(request, response, () => this.#serve(request, response, () => response.writeContinue())),
        );
        server.on("checkExpectation", (request: http.IncomingMessage, response: http.ServerResponse) =>
          this.#pipelined.take(request, response, () => sendRawProblem(response, requestProblem(request) ?? unmetExpectation(request))),
        );
        server.on("connect", refuseConnect);
        server.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(request, socket, head));
        return server;
      },
      // http.Server owns the socket from here; the limits slot is freed when it closes.
      onConnection: ({ socket, slot }) => this.#slots.set(socket, slot),
      refusalMessage: refusal,
    });
  }

  /**
   * Bytes that are not HTTP (or headers too large, or too slow) never reach the app;
   * Node's own answer would be a bare status line, ours is a problem like every other.
   * It goes where it answers the request the error is about, after the answers to those
   * before it; a connection where it cannot (that request's answer has begun) is closed
   * without a word.
   */
  #onClientError(error: ParseError, socket: Socket): void {
    // A file upload may take longer than the whole-request limit: it has its own idle timeout, and what is
    // read of a refused one's body its own bounds (streamed-body.ts).
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && isStreamingUpload(socket)) return;
    if (error.code === "ECONNRESET" || !socket.writable || isDiscardingRefusedBody(socket)) {
      socket.destroy();
      return;
    }
    const problem = this.#clientErrorProblem(error, socket);
    const answered = this.#pipelined.answerLast(socket, () => {
      if (socket.writable) socket.end(rawProblem(problem));
    });
    if (!answered) socket.destroy();
  }

  #clientErrorProblem(error: ParseError, socket: Socket): Problem {
    if (error.code === "HPE_HEADER_OVERFLOW" && isOverlongTarget(error, socket, (offset) => this.#pipelined.wasIdleAt(socket, offset))) return OVERLONG_TARGET;
    const [status, detail] = CLIENT_ERROR_ANSWERS[error.code ?? ""] ?? [400, "The request is not valid HTTP"];
    return genericProblem(status, detail);
  }

  /** Hands a request to the app unless it is wrong as a message; `accepted` runs just before. */
  #serve(request: http.IncomingMessage, response: http.ServerResponse, accepted?: () => void): void {
    // llhttp stops reading at a request it took for an upgrade: what was pipelined behind it in
    // the same read is dropped unparsed. The connection ends with this answer, so the client
    // knows to send those again (RFC 9112 §9.3.2) instead of waiting for answers that never come.
    if (isIgnoredUpgrade(request)) response.shouldKeepAlive = false;
    const problem = requestProblem(request);
    if (problem) {
      sendRawProblem(response, problem);
      return;
    }
    accepted?.();
    this.app.routing(request, response);
  }

  #upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const problem = requestProblem(request);
    if (problem) {
      refuseSocket(socket, problem);
      return;
    }
    const settings = this.webSocket?.settings ?? { allowedOrigins: [], trustedProxyHops: 0, listenerIsTls: false };
    handleUpgrade(request, socket, head, settings, {
      accept: this.webSocket?.accept ?? null,
      limits: this.limits,
      releaseSlot: (released) => this.#slots.get(released)?.release(),
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
