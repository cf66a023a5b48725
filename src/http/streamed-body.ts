import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Routes whose body is a file (uploads) read it as a stream, straight from the
 * socket to the disk: no content-type parser buffers it, and the JSON body limit
 * (`http.bodyLimitBytes`) does not apply — the file limits do (`files.*`).
 */

/** Seconds without a byte after which a streamed upload is given up (instead of the 30 s whole-request limit). */
export const UPLOAD_IDLE_MS = 30_000;
/** What is still read (and thrown away) of a refused upload's body so the client can read the answer... */
const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
/** ...and for how long at most, before the connection is closed. */
const DISCARD_MAX_MS = 5_000;

/** Sockets carrying a streamed upload now. */
const streaming = new WeakSet<Socket>();
/**
 * Sockets answered before their upload's body was read whole: the rest is read and
 * dropped, then the connection closes. Marked until it does, as that request has had
 * its one answer.
 */
const discarding = new WeakSet<Socket>();

/** A streamed upload, or the rest of a refused one: the whole-request timeout does not cut them, they have limits of their own (see http-service.ts). */
export function isStreamingUpload(socket: Socket): boolean {
  return streaming.has(socket) || discarding.has(socket);
}

/** The socket's request was answered while its body was still arriving: nothing more may be written to it. */
export function isDiscardingRefusedBody(socket: Socket): boolean {
  return discarding.has(socket);
}

/**
 * Registers, in an encapsulated context (a plugin), a content-type parser that
 * reads nothing: every type, and no type, leaves the body in `request.raw`. An
 * upload answered before its body was read whole (a refusal) says `Connection: close`,
 * as the connection closes once the rest is dropped (finishStreaming).
 */
export function acceptAnyBodyUnread(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  app.addHook("onSend", async (request, reply, payload) => {
    const raw = request.raw;
    if (streaming.has(raw.socket) && !raw.complete) closeAfterDiscarding(raw.socket, reply);
    return payload;
  });
}

function closeAfterDiscarding(socket: Socket, reply: FastifyReply): void {
  discarding.add(socket);
  void reply.header("connection", "close");
  // Node would close the connection as soon as an answer saying so is out, while the client
  // is still sending the body: the reset could cost it the answer. Only the sending side
  // is closed then; finishStreaming closes the rest once the body is dropped or too long.
  socket.destroySoon = () => void socket.end();
}

/**
 * onRequest hook of a streamed route, before authentication: from here the request
 * may take longer than the whole-request timeout, as long as bytes keep coming.
 */
export async function startStreaming(request: FastifyRequest): Promise<void> {
  const socket = request.raw.socket;
  streaming.add(socket);
  // Node's own idle timeout: no listener on the request, so it destroys the socket.
  socket.setTimeout(UPLOAD_IDLE_MS);
}

/**
 * onResponse hook of a streamed route: the answer is out. What the client still
 * sends of a body that was refused (or never read, for a 401) is read and dropped
 * for a bounded time and size, so it sees the answer instead of a reset; then the
 * connection is closed.
 */
export async function finishStreaming(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const raw = request.raw;
  const socket = raw.socket;
  streaming.delete(socket);
  if (!discarding.has(socket)) return;
  const close = (): void => void socket.destroy();
  if (raw.complete || raw.destroyed) return close();
  let dropped = 0;
  const timer = setTimeout(close, DISCARD_MAX_MS).unref();
  raw.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_MAX_BYTES) close();
  });
  raw.once("end", close);
  socket.once("close", () => clearTimeout(timer));
  raw.resume();
}

/**
 * The body as a stream the upload may destroy without destroying the request: a
 * destroyed request takes its socket down, and the refusal (a 413) still has to go
 * out on it. A request that fails or ends early (the client went away) fails the stream.
 */
export function detachedBody(raw: IncomingMessage): Readable {
  const body = new PassThrough({ highWaterMark: 64 * 1024 });
  raw.pipe(body);
  raw.once("error", (error) => body.destroy(error));
  raw.once("close", () => {
    if (!raw.complete) body.destroy(new Error("the client went away before the end of the body"));
  });
  body.once("close", () => raw.unpipe(body));
  return body;
}

/** The declared body length, when there is a valid one. */
export function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers["content-length"];
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}
