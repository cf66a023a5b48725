import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type { Options } from "@node-rs/argon2";

/**
 * The thread's code, plain JavaScript so it runs the same from dist/ and under tsx.
 * It nices its own thread: when the event loop and a hash want the same core, the
 * event loop wins, so a burst of logins does not stall chat. (On Linux a thread id
 * works as a pid for setpriority; elsewhere the thread keeps its priority.)
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readlinkSync } = require("node:fs");
const { setPriority } = require("node:os");
const { hashSync, verifySync } = require(workerData.argon2);
try {
  const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
  if (Number.isInteger(threadId)) setPriority(threadId, 10);
} catch {}
parentPort.on("message", (request) => {
  let response;
  try {
    const value = request.op === "hash" ? hashSync(request.password, request.options) : verifySync(request.hash, request.password);
    response = { id: request.id, ok: true, value };
  } catch (error) {
    response = { id: request.id, ok: false, error: String(error && error.message) };
  }
  parentPort.postMessage(response);
});
`;

type Request = { op: "hash"; password: string; options: Options } | { op: "verify"; hash: string; password: string };
type Response = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; error: string };
type Pending = { resolve: (value: string | boolean) => void; reject: (error: Error) => void };

/**
 * One worker thread that hashes below the event loop's priority. Started on first
 * use, and referenced only while a job is pending, so it never keeps the process alive.
 */
export class HashThread {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  #start(): Worker {
    const argon2 = createRequire(import.meta.url).resolve("@node-rs/argon2");
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { argon2 } });
    worker.on("message", (response: Response) => {
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (this.#pending.size === 0) worker.unref();
      if (response.ok) pending.resolve(response.value);
      else pending.reject(new Error(response.error));
    });
    worker.on("error", (error) => this.#fail(error));
    worker.on("exit", () => this.#fail(new Error("the hashing thread stopped")));
    worker.unref();
    return worker;
  }

  #fail(error: Error): void {
    this.#worker = null;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #send(request: Request): Promise<string | boolean> {
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id });
    });
  }

  async hash(password: string, options: Options): Promise<string> {
    return (await this.#send({ op: "hash", password, options })) as string;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    return (await this.#send({ op: "verify", hash, password })) as boolean;
  }
}
