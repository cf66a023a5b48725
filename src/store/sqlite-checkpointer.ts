import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The thread's code, plain JavaScript so it runs the same from dist/ and under tsx.
 * Its own connection runs PASSIVE checkpoints, which copy committed WAL pages into
 * the database file and fsync it without ever blocking the writer; when a
 * checkpoint has copied everything, the writer's next transaction starts the WAL
 * from its beginning again, so the file stays bounded.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
// Told once per outage (a full disk fails every checkpoint until there is room), not every interval.
let failing = false;
const checkpoint = () => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    failing = false;
  } catch (error) {
    if (!failing) parentPort.postMessage({ error: String(error && error.message) });
    failing = true;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;

/** How often the thread checkpoints: at a busy server's write rate the WAL then stays a few MiB. */
const INTERVAL_MS = 250;
/** SQLite's own default, restored on the main connection when the thread is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default SQLite checkpoints
 * inside the commit that crosses 1,000 WAL pages: a copy of ~4 MiB and an fsync on
 * the event loop, every second or so on a busy server, felt by every client as a
 * pause. With the checkpointer the main connection never checkpoints; should the
 * thread fail, it does again (`wal_autocheckpoint` restored) and `onError` is told.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  #stopped = false;

  constructor(
    private readonly main: BetterSqlite3.Database,
    file: string,
    private readonly onError: (error: Error) => void,
  ) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs: INTERVAL_MS } });
    main.pragma("wal_autocheckpoint = 0");
    this.#worker.on("message", (message: { ready: true } | { error: string }) => {
      if ("error" in message) onError(new Error(`WAL checkpoint failed: ${message.error}`));
    });
    this.#worker.on("error", (error) => this.#fallBack(error));
    this.#worker.on("exit", () => this.#fallBack(new Error("the WAL checkpoint thread stopped")));
    // After the listeners: adding a 'message' listener refs the worker again.
    this.#worker.unref();
  }

  #fallBack(error: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.main.open) this.main.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.onError(error);
  }

  /** Stops the thread; the main connection checkpoints as SQLite does by default (and on close). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
    // Waited for: the loop must not count an unref'd thread as nothing pending.
    this.#worker.ref();
    this.#worker.postMessage("stop");
    await exited;
    if (this.main.open) this.main.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }
}
