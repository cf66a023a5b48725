import type { Dirent } from "node:fs";
import { chmod, lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { isTemporaryUpload } from "./temporary-upload.js";

export interface Usage {
  bytes: number;
  files: number;
}

/**
 * Adds up the regular files below `dir` (links are not followed), without blocking the event
 * loop. Folders below it count in `files` too (with no bytes): each takes an inode and a block
 * of the disk, and an account must not fill either with empty folders past its quota. Only what vanished while it counted (a folder or file deleted meanwhile) is passed
 * over; any other error fails the count, since a folder it could not read would be counted
 * as empty and recorded as the account's usage: room to store past the quota.
 * `withoutUploads` passes over the temporary files of uploads (see temporary-upload.ts):
 * what they hold is reserved by their upload, not yet counted as usage.
 */
export async function measureUsage(dir: string, options: { withoutUploads?: boolean } = {}): Promise<Usage> {
  const usage: Usage = { bytes: 0, files: 0 };
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = await readFolder(current);
    } catch (error) {
      if (isGone(error)) continue;
      throw error;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        pending.push(path);
        usage.files++;
      } else if (entry.isFile()) {
        if (options.withoutUploads && isTemporaryUpload(entry.name)) continue;
        const size = await lstat(path).then(
          (s) => s.size,
          (error: unknown) => {
            if (isGone(error)) return null;
            throw error;
          },
        );
        if (size === null) continue;
        usage.files++;
        usage.bytes += size;
      }
    }
  }
  return usage;
}

/**
 * A folder's entries. One the server (its owner) may not read, a mode set before SITE CHMOD
 * kept the owner's bits (the server's own files, so an account could hide them from the
 * quota), gets the owner's rwx back and is read again: failing the count instead would lock
 * the account out of its files.
 */
async function readFolder(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
    await chmod(path, ((await lstat(path)).mode & 0o777) | 0o700);
    return readdir(path, { withFileTypes: true });
  }
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
