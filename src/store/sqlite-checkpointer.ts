import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";

/**
 * The thread's code, plain JavaScript so it runs the same from dist/ and under tsx.
 * Its own connection runs PASSIVE checkpoints, which copy committed WAL pages into
 * the database file and fsync it without ever blocking the writer; when a
 * checkpoint has copied everything, the writer's next transaction starts the WAL
 * from its beginning again.
 *
 * Under steady writes that moment never comes: a commit lands while each checkpoint
 * runs, so the copy never reaches the WAL's end, and the WAL grew by everything
 * written (the rooms bench: 346 MB in 15 s; 1,000 messages a second, ~36 GB an hour),
 * with every read searching a longer WAL index. So once the WAL passes its limit the
 * thread follows its PASSIVE checkpoint with a RESTART: the PASSIVE one has copied
 * nearly everything, and the RESTART holds writers off only while it copies the rest
 * and syncs, then makes the next commit start the WAL again (and cut the file back to
 * the limit: `journal_size_limit` on the writer's connection). It gives up after
 * RESTART_BUSY_MS rather than keep writers waiting (the event loop's commit waits in
 * SQLite's busy handler), and tries again at the next interval.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
// Told once per outage (a full disk fails every checkpoint until there is room), not every interval.
let failing = false;
const limitFrames = Math.max(1, Math.floor(workerData.walLimitBytes / db.pragma("page_size", { simple: true })));
const checkpoint = () => {
  try {
    const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
    if (passive.log > limitFrames) {
      db.pragma("busy_timeout = " + workerData.restartBusyMs);
      try {
        db.pragma("wal_checkpoint(RESTART)");
      } finally {
        db.pragma("busy_timeout = 5000");
      }
    }
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
/**
 * The WAL size past which a checkpoint also restarts the WAL (see WORKER_SOURCE). At
 * 10,000 messages a second (~23 MB of WAL a second) that is one RESTART every ~3 s.
 */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;
/** The longest a RESTART waits for the writer and readers before it gives up until the next interval. */
const RESTART_BUSY_MS = 100;
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
    options: { readonly walLimitBytes?: number } = {},
  ) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const workerData = { driver, file, intervalMs: INTERVAL_MS, walLimitBytes: options.walLimitBytes ?? WAL_LIMIT_BYTES, restartBusyMs: RESTART_BUSY_MS };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    main.pragma("wal_autocheckpoint = 0");
    // The file itself: a WAL that starts again reuses its file (overwriting is cheaper than
    // growing it), at the size it reached; past the limit it is cut back when it starts again.
    main.pragma(`journal_size_limit = ${workerData.walLimitBytes}`);
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
