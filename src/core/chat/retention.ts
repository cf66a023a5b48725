import type { Logger } from "pino";
import type { HistoryStore } from "./history.js";

export interface RetentionSettings {
  /** Days to keep messages; 0 keeps them forever. */
  readonly maxAgeDays: number;
  /** Messages kept per channel or conversation; 0 = no limit. */
  readonly maxMessagesPerTarget: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** Applies the retention settings once; `signal` ends the pass between its statements. */
export async function pruneHistory(store: HistoryStore, settings: RetentionSettings, now = Date.now(), signal?: AbortSignal): Promise<number> {
  const olderThan = settings.maxAgeDays > 0 ? now - settings.maxAgeDays * DAY_MS : null;
  const keep = settings.maxMessagesPerTarget > 0 ? settings.maxMessagesPerTarget : null;
  if (olderThan === null && keep === null) return 0;
  return store.prune(olderThan, keep, signal ? { signal } : {});
}

/**
 * Prunes at start and then every `intervalMs`, reading the settings each time so REHASH
 * applies. The returned stop ends a pass under way at its next statement and waits for
 * it: a server stopping closes its database only after the pass's last statement.
 */
export function startRetention(store: HistoryStore, settings: () => RetentionSettings, log: Logger, intervalMs = 3600_000): () => Promise<void> {
  // A first pass over a long history can outlast the interval (it rests between statements):
  // the next one starts only after it ended, never beside it.
  let running: Promise<void> | null = null;
  const stopping = new AbortController();
  const run = (): void => {
    if (running || stopping.signal.aborted) return;
    running = pruneHistory(store, settings(), Date.now(), stopping.signal)
      .then(
        (deleted) => void (deleted > 0 && log.info({ deleted }, "old messages pruned")),
        (error: unknown) => void log.error({ err: error }, "pruning history failed"),
      )
      .finally(() => (running = null));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    stopping.abort();
    await running;
  };
}
