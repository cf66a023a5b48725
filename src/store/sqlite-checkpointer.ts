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
 * written (the rooms bench, 10,000 messages a second: 436 MB in 15 s; at 1,000 a second
 * ~10 MB a second, ~36 GB an hour: smaller commits write more pages per message),
 * with every read searching a longer WAL index. So once the WAL passes its limit the
 * thread follows its PASSIVE checkpoint with a RESTART: the PASSIVE one has copied
 * nearly everything, and the RESTART holds the write lock only while it copies the rest
 * and syncs (writers meanwhile wait: see below), then makes the next commit start the
 * WAL again (and cut the file back to the limit: `journal_size_limit` on the writer's
 * connection).
 * It waits at most RESTART_BUSY_MS for the lock and for readers; one that keeps reading
 * makes it back off (see `restart`). Transactions on the event loop's connection begin
 * IMMEDIATE (sqlite-immediate-dialect.ts), or one that read before the RESTART took the
 * lock would fail at its first write.
 *
 * A RESTART holds the lock for its copy and the database file's fsync (11–21 ms on a
 * virtual machine's disk), and a commit on the event loop meanwhile waits in SQLite's
 * busy handler, which blocks the whole loop (and sleeps 1, 2, 5, 10 … ms between tries,
 * so longer than the RESTART). So the thread says when a RESTART runs (a shared word),
 * and history writes, nearly all of a busy server's writes, wait for its end
 * asynchronously (`holdWrites`): the loop goes on reading, parsing and delivering.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
// Told once per outage (a full disk fails every checkpoint until there is room), not every interval.
let failing = false;
const limitFrames = Math.max(1, Math.floor(workerData.walLimitBytes / db.pragma("page_size", { simple: true })));
// A RESTART that finds a reader staying (a backup, the sqlite3 shell) gives up, having held
// writers off meanwhile: the next try waits twice as long, up to MAX_RESTART_BACKOFF_MS.
// Told once until a RESTART succeeds again.
let restartAt = 0;
let restartBackoff = workerData.intervalMs;
let restartRefused = false;
// 1 while a RESTART runs: the event loop's history writes wait for it without blocking (see holdWrites).
const restarting = new Int32Array(workerData.restarting);
const restart = () => {
  db.pragma("busy_timeout = " + workerData.restartBusyMs);
  let result;
  Atomics.store(restarting, 0, 1);
  try {
    [result] = db.pragma("wal_checkpoint(RESTART)");
  } finally {
    Atomics.store(restarting, 0, 0);
    Atomics.notify(restarting, 0);
    db.pragma("busy_timeout = 5000");
  }
  if (!result.busy) {
    restartBackoff = workerData.intervalMs;
    restartRefused = false;
    return;
  }
  restartAt = Date.now() + restartBackoff;
  restartBackoff = Math.min(2 * restartBackoff, workerData.maxRestartBackoffMs);
  if (!restartRefused) parentPort.postMessage({ error: "the WAL could not start again within " + workerData.restartBusyMs + " ms (another connection reading it, or a long write); trying again later, and the WAL grows meanwhile" });
  restartRefused = true;
};
const checkpoint = () => {
  try {
    const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
    if (passive.log > limitFrames && Date.now() >= restartAt) restart();
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
 * the rooms bench's ~29 MB of WAL a second that is one RESTART every ~2 s; the file
 * reaches the limit plus what one interval writes. The server's comes from
 * `database.sqliteWalLimitMiB`, this being its default.
 */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;
/** The longest a RESTART waits for the writer and readers before it gives up until the next try. */
const RESTART_BUSY_MS = 100;
/** The longest wait between RESTARTs that keep finding a reader. */
const MAX_RESTART_BACKOFF_MS = 60_000;
/** SQLite's own default, restored on the main connection when the thread is gone. */
const AUTOCHECKPOINT_PAGES = 1000;
/**
 * The longest a history write waits for a RESTART (holdWrites): the RESTART's own wait
 * for the lock and readers (RESTART_BUSY_MS) and its copy and sync, with room to spare.
 * Past it the write goes ahead, and waits in SQLite's busy handler as before.
 */
const MAX_WRITE_HOLD_MS = 500;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default SQLite checkpoints
 * inside the commit that crosses 1,000 WAL pages: a copy of ~4 MiB and an fsync on
 * the event loop, every second or so on a busy server, felt by every client as a
 * pause. With the checkpointer the main connection never checkpoints; should the
 * thread fail, it does again (`wal_autocheckpoint` restored) and `onError` is told.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  /** Set by the thread while a RESTART runs (WORKER_SOURCE). */
  readonly #restarting = new Int32Array(new SharedArrayBuffer(4));
  #stopped = false;

  constructor(
    private readonly main: BetterSqlite3.Database,
    file: string,
    private readonly onError: (error: Error) => void,
    options: { readonly walLimitBytes?: number } = {},
  ) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const workerData = {
      driver,
      file,
      intervalMs: INTERVAL_MS,
      walLimitBytes: options.walLimitBytes ?? WAL_LIMIT_BYTES,
      restartBusyMs: RESTART_BUSY_MS,
      maxRestartBackoffMs: MAX_RESTART_BACKOFF_MS,
      restarting: this.#restarting.buffer,
    };
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

  /**
   * Null when nothing holds writes; while a RESTART runs, a promise that resolves when it
   * ends (or after MAX_WRITE_HOLD_MS), for a writer to await instead of blocking the event
   * loop in SQLite's busy handler.
   */
  holdWrites(): Promise<unknown> | null {
    const wait = Atomics.waitAsync(this.#restarting, 0, 1, MAX_WRITE_HOLD_MS);
    if (!wait.async) return null;
    // The wait alone does not keep the event loop alive (a process with nothing else to do would end in it).
    const alive = setTimeout(() => {}, MAX_WRITE_HOLD_MS + 50);
    return wait.value.finally(() => clearTimeout(alive));
  }

  /** Releases writers held for a RESTART the thread will not end (it stopped or failed). */
  #openWrites(): void {
    Atomics.store(this.#restarting, 0, 0);
    Atomics.notify(this.#restarting, 0);
  }

  #fallBack(error: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#openWrites();
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
    this.#openWrites();
    if (this.main.open) this.main.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }
}
