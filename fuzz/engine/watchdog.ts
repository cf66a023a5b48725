import { Worker } from "node:worker_threads";

/**
 * Catches an input that never returns (an endless loop in synchronous code, where no
 * timer on the main thread can fire): a worker thread watches the start time of the
 * running input and, past the deadline, saves the input, says so and kills the process.
 * The input is copied into shared memory before it runs, so the worker can save it.
 */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { mkdirSync, writeFileSync, writeSync } = require("node:fs");
const { createHash } = require("node:crypto");
const { state, bytes, deadlineMs, findingsDir } = workerData;
const started = new BigInt64Array(state, 0, 1);
const length = new Int32Array(state, 8, 1);
const input = new Uint8Array(bytes);
setInterval(() => {
  const since = Atomics.load(started, 0);
  if (since === 0n || Date.now() - Number(since) < deadlineMs) return;
  const data = Buffer.from(input.subarray(0, Atomics.load(length, 0)));
  mkdirSync(findingsDir, { recursive: true });
  const path = findingsDir + "/timeout-" + createHash("sha1").update(data).digest("hex");
  writeFileSync(path, data);
  writeSync(2, "\\n==== FINDING: the input ran for more than " + deadlineMs + " ms without returning (a hang in synchronous code)\\n" +
    "saved to " + path + "\\ninput (base64): " + data.toString("base64") + "\\n");
  process.kill(process.pid, "SIGKILL");
}, 50);
`;

export class Watchdog {
  readonly #started: BigInt64Array;
  readonly #length: Int32Array;
  readonly #input: Uint8Array;
  readonly #worker: Worker;

  constructor(maxLength: number, deadlineMs: number, findingsDir: string) {
    const state = new SharedArrayBuffer(16);
    const bytes = new SharedArrayBuffer(Math.max(1, maxLength));
    this.#started = new BigInt64Array(state, 0, 1);
    this.#length = new Int32Array(state, 8, 1);
    this.#input = new Uint8Array(bytes);
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { state, bytes, deadlineMs, findingsDir }, execArgv: [] });
    this.#worker.unref();
  }

  /** The input about to run (cut to the length the watchdog was made for). */
  begin(input: Buffer): void {
    const length = Math.min(input.length, this.#input.length);
    this.#input.set(input.subarray(0, length));
    Atomics.store(this.#length, 0, length);
    Atomics.store(this.#started, 0, BigInt(Date.now()));
  }

  end(): void {
    Atomics.store(this.#started, 0, 0n);
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
