import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

export interface Usage {
  bytes: number;
  files: number;
}

/** Adds up the regular files below `dir` (links are not followed), without blocking the event loop. */
export async function measureUsage(dir: string): Promise<Usage> {
  const usage: Usage = { bytes: 0, files: 0 };
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) {
        usage.files++;
        usage.bytes += (await lstat(path)).size;
      }
    }
  }
  return usage;
}
