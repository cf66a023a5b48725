import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type { Options } from "@node-rs/argon2";

/**
 * A thread's code, plain JavaScript so it runs the same from dist/ and under tsx.
 * It nices its own thread: when the event loop and a hash want the same core, the
 * event loop wins, so a burst of logins does not stall chat. (On Linux a thread id
 * works as a pid for setpriority; elsewhere the thread keeps its priority.) It then
 * says which kernel thread it is (0 where that is unknown), so the pool can report it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readlinkSync } = require("node:fs");
const { setPriority } = require("node:os");
const { hashSync, verifySync } = require(workerData.argon2);
let tid = 0;
try {
  const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(threadId)) {
    setPriority(threadId, workerData.niceness);
    tid = threadId;
  }
} catch {}
parentPort.postMessage({ ready: tid });
parentPort.on("message", (request) => {
  let response;
  try {
    const value = request.op === "hash" ? hashSync(request.password, request.options) : verifySync(request.hash, request.password);
    response = { ok: true, value };
  } catch (error) {
    response = { ok: false, error: String(error && error.message) };
  }
  parentPort.postMessage(response);
});
`;

/** How far below the event loop the hashing threads run (the nice value they set on themselves). */
export const HASH_NICENESS = 10;

type Request = { op: "hash"; password: string; options: Options } | { op: "verify"; hash: string; password: string };
type Response = { ready: number } | { ok: true; value: string | boolean } | { ok: false; error: string };
type Job = { request: Request; resolve: (value: string | boolean) => void; reject: (error: Error) => void };

/** One niced thread; it runs one job at a time, so a job given to it runs at once. */
class HashWorker {
  readonly #worker: Worker;
  #job: Job | null = null;
  /** The kernel's id of the thread, once it has started (0 when unknown). */
  tid: number | null = null;

  constructor(argon2: string, onIdle: (self: HashWorker) => void, onDead: (self: HashWorker) => void) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2, niceness: HASH_NICENESS } });
    this.#worker.unref();
    this.#worker.on("message", (response: Response) => {
      if ("ready" in response) {
        this.tid = response.ready;
        return;
      }
      const job = this.#job;
      this.#job = null;
      this.#worker.unref();
      if (job) {
        if (response.ok) job.resolve(response.value);
        else job.reject(new Error(response.error));
      }
      onIdle(this);
    });
    const die = (error: Error): void => {
      const job = this.#job;
      this.#job = null;
      onDead(this);
      job?.reject(error);
    };
    this.#worker.on("error", die);
    this.#worker.on("exit", () => die(new Error("a hashing thread stopped")));
  }

  run(job: Job): void {
    this.#job = job;
    // Referenced only while it works, so an idle pool never keeps the process alive.
    this.#worker.ref();
    this.#worker.postMessage(job.request);
  }
}

/**
 * Up to `size` worker threads that hash below the event loop's priority, each one
 * job at a time: a job runs as soon as a thread is free, so `size` jobs run in
 * parallel and the rest wait in order. Threads start on demand (a single login
 * starts one) and stay for the next burst.
 */
export class HashPool {
  readonly #argon2 = createRequire(import.meta.url).resolve("@node-rs/argon2");
  readonly #all = new Set<HashWorker>();
  readonly #idle: HashWorker[] = [];
  readonly #waiting: Job[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a hash pool needs at least one thread, not ${size}`);
  }

  /** The threads started so far (at most `size`). */
  get threads(): number {
    return this.#all.size;
  }

  /** The kernel thread ids of the started threads that have said theirs (0 where unknown). */
  threadIds(): number[] {
    return [...this.#all].flatMap((w) => (w.tid === null ? [] : [w.tid]));
  }

  #dispatch(): void {
    while (this.#waiting.length > 0) {
      let worker = this.#idle.pop();
      if (!worker && this.#all.size < this.size) {
        worker = new HashWorker(
          this.#argon2,
          (idle) => {
            this.#idle.push(idle);
            this.#dispatch();
          },
          (dead) => {
            this.#all.delete(dead);
            const at = this.#idle.indexOf(dead);
            if (at !== -1) this.#idle.splice(at, 1);
            // A new thread takes over what waits.
            this.#dispatch();
          },
        );
        this.#all.add(worker);
      }
      if (!worker) return;
      worker.run(this.#waiting.shift()!);
    }
  }

  #submit(request: Request): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      this.#dispatch();
    });
  }

  async hash(password: string, options: Options): Promise<string> {
    return (await this.#submit({ op: "hash", password, options })) as string;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return (await this.#submit({ op: "verify", hash, password })) as boolean;
  }
}
