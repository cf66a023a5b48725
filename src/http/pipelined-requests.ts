import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { unmapAddress } from "../net/address.js";
import { ProblemError } from "./problems.js";
import { sendRawProblem } from "./raw-problem.js";

interface Waiting {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly serve: () => void;
}

interface Pipeline {
  /** The request the app has now, until its answer is out. */
  current: Waiting | null;
  /** Requests parsed but not handed to the app yet, oldest first. */
  readonly waiting: Waiting[];
  /** Waiting for the socket's write buffer to drain before the next request goes. */
  draining: boolean;
  /** The connection ends after the answers due (past the bound, or an error written straight to the socket): later requests are not answered. */
  closing: boolean;
  /** What is written straight to the socket once the answers due are out. */
  last: (() => void) | null;
  /** Requests parsed once closing: never answered, but Node keeps them until the connection ends. */
  ignored: number;
  /** `socket.bytesRead` when the last answer was out and nothing was left under way. */
  idleAt: number;
}

/**
 * Requests pipelined on one connection go to the app one at a time, each when the
 * answer before it is out (and the socket's write buffer has drained), as nginx does.
 * Node's parser hands over every request of a read at once (a 64 KiB read of small
 * requests is ~1,400 of them) and each would build and buffer its whole answer
 * before the client had read any, so a client that pipelines and never reads held
 * hundreds of MB per connection. Here they wait as parsed requests, at most
 * `max` of them per connection: the one over that is answered 503 after those
 * before it, with `Connection: close`, and more than `max` after it close the
 * connection at once.
 */
export class PipelinedRequests {
  readonly #pipelines = new WeakMap<Socket, Pipeline>();

  constructor(
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  /** `serve` hands the request to the app: now when its connection has nothing under way, else in its turn. */
  take(request: IncomingMessage, response: ServerResponse, serve: () => void): void {
    const socket = request.socket;
    const pipeline = this.#pipeline(socket);
    if (pipeline.closing) {
      if (++pipeline.ignored > this.max) socket.destroy();
      return;
    }
    if (pipeline.waiting.length >= this.max) {
      pipeline.closing = true;
      this.log.info({ address: unmapAddress(socket.remoteAddress), max: this.max }, "too many pipelined HTTP requests waiting: the connection is closed");
      const problem = new ProblemError("unavailable", `At most ${this.max} requests may wait on one connection for the answers before them`).toProblem();
      pipeline.waiting.push({ request, response, serve: () => sendRawProblem(response, problem) });
    } else {
      pipeline.waiting.push({ request, response, serve });
    }
    this.#next(pipeline, socket);
  }

  /**
   * Runs `answer`, written straight to the socket for a parse error or a deadline, where
   * the client reads it as the answer to the request the error is about: now when no
   * answer is under way or due, else after those, as the connection's last. False when
   * it has no such place (the connection can only be closed): the request whose body is
   * still arriving has its answer begun, or the connection is closing already.
   */
  answerLast(socket: Socket, answer: () => void): boolean {
    const pipeline = this.#pipelines.get(socket);
    const current = pipeline?.current ?? null;
    if (!pipeline || (pipeline.waiting.length === 0 && (current === null || (!current.request.complete && !current.response.headersSent)))) {
      answer();
      return true;
    }
    if (pipeline.closing || (current && !current.request.complete)) return false;
    pipeline.closing = true;
    pipeline.last = answer;
    return true;
  }

  /** Whether the connection was idle (nothing under way, nothing pending) once it had read `offset` bytes: a request began there. */
  wasIdleAt(socket: Socket, offset: number): boolean {
    return offset === 0 || this.#pipelines.get(socket)?.idleAt === offset;
  }

  #pipeline(socket: Socket): Pipeline {
    let pipeline = this.#pipelines.get(socket);
    if (!pipeline) {
      const created: Pipeline = { current: null, waiting: [], draining: false, closing: false, last: null, ignored: 0, idleAt: 0 };
      // Node aborts the requests still waiting when the connection ends; none is handed over after that.
      socket.once("close", () => (created.waiting.length = 0));
      this.#pipelines.set(socket, created);
      pipeline = created;
    }
    return pipeline;
  }

  #next(pipeline: Pipeline, socket: Socket): void {
    if (pipeline.current || pipeline.draining || socket.destroyed) return;
    const next = pipeline.waiting.shift();
    if (!next) {
      const last = pipeline.last;
      pipeline.last = null;
      last?.();
      return;
    }
    if (socket.writableNeedDrain) {
      pipeline.waiting.unshift(next);
      pipeline.draining = true;
      socket.once("drain", () => {
        pipeline.draining = false;
        this.#next(pipeline, socket);
      });
      return;
    }
    pipeline.current = next;
    let done = false;
    const answered = (): void => {
      if (done) return;
      done = true;
      pipeline.current = null;
      if (pipeline.waiting.length === 0 && next.request.complete) pipeline.idleAt = socket.bytesRead;
      this.#next(pipeline, socket);
    };
    // 'finish': the answer is in the kernel's hands; 'close' alone: the connection went first.
    next.response.once("finish", answered);
    next.response.once("close", answered);
    next.serve();
  }
}
