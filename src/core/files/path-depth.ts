import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** The longest path Linux takes (PATH_MAX, 4096, less the terminating NUL), in bytes. */
export const PATH_MAX_BYTES = 4095;

/**
 * Whether the folder `from`, moved to `to`, keeps every path below it within
 * PATH_MAX_BYTES. Past it nothing below could be listed, measured, moved or deleted
 * again through the server, and measuring the account's usage (on every login) would
 * fail. A move that does not lengthen the folder's own path cannot push anything past it.
 */
export async function fitsWhenMoved(from: string, to: string): Promise<boolean> {
  const room = PATH_MAX_BYTES - Buffer.byteLength(to);
  if (room < 0) return false;
  if (Buffer.byteLength(to) <= Buffer.byteLength(from)) return true;
  // Depth first over relative lengths: only a branch that still fits is walked further.
  const pending: Array<{ path: string; length: number }> = [{ path: from, length: 0 }];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = await readdir(folder.path, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      // A folder too deep to read here already: moving it deeper cannot help.
      if (code === "ENAMETOOLONG") return false;
      throw error;
    }
    for (const entry of entries) {
      const length = folder.length + 1 + Buffer.byteLength(entry.name);
      if (length > room) return false;
      if (entry.isDirectory()) pending.push({ path: join(folder.path, entry.name), length });
    }
  }
  return true;
}
