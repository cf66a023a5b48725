import { statSync } from "node:fs";

/**
 * The largest size a file reached while watched, looked at every `intervalMs` (0 while
 * it does not exist). For our server's SQLite WAL (`cmymessage.db-wal`), which must stay
 * bounded under steady writes (src/store/sqlite-checkpointer.ts): without a RESTART it
 * grew by everything written, 436 MB in a 15 s rooms run.
 */
export function watchFileSize(path: string, intervalMs = 250): { stop(): number } {
  let largest = 0;
  const look = () => {
    try {
      largest = Math.max(largest, statSync(path).size);
    } catch {
      // Not made yet, or gone.
    }
  };
  const timer = setInterval(look, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      look();
      return largest;
    },
  };
}
