import { mkdir, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";

/** The data directory could not be made: the message says which folder and why. */
export class DataDirectoryError extends Error {}

/** What is at `path`, or null when nothing is (ENOTDIR: a file above it, which the caller finds next); any other failure is thrown. */
async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
}

/** The folders of `path` that do not exist yet, outermost first; throws when what does exist is not a folder. */
async function missingFolders(path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let folder = path; ; folder = dirname(folder)) {
    const found = await statOrNull(folder);
    if (found) {
      if (!found.isDirectory()) throw new DataDirectoryError(`${folder} is not a folder`);
      return missing;
    }
    missing.unshift(folder);
    if (dirname(folder) === folder) return missing;
  }
}

/** Makes one folder whose parent exists; one made meanwhile by someone else is fine. */
async function makeFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && (await statOrNull(folder))?.isDirectory()) return;
    // The parent is there, yet the folder cannot be: a file system that takes no new entries (/proc, /sys).
    if (code === "ENOENT") throw new DataDirectoryError(`${dirname(folder)} takes no new folders (ENOENT)`);
    throw error;
  }
}

/**
 * Makes the data directory and any missing parents (0700), or fails at once saying
 * why. Not mkdir's `recursive`: under a file system that refuses new entries with
 * ENOENT (`/proc/x`), Node's recursive mkdir retries forever (mkdir /proc/x: ENOENT,
 * so mkdir /proc: EEXIST, so mkdir /proc/x again), spinning a CPU.
 */
export async function makeDataDirectory(dataDir: string): Promise<void> {
  try {
    for (const folder of await missingFolders(resolve(dataDir))) await makeFolder(folder);
  } catch (error) {
    throw new DataDirectoryError(`cannot make the data directory ${dataDir}: ${(error as Error).message}`);
  }
}

/**
 * One warning at start when other users of the machine can read or enter the data
 * directory (an operator's `mkdir` makes it 0755): the files in it are 0600, but their
 * names and sizes show, and any file another tool drops there with its own umask is open.
 */
export async function warnIfDataDirectoryIsOpen(dataDir: string, log: Logger): Promise<void> {
  const mode = (await stat(dataDir)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  log.warn({ dataDir, mode: `0${mode.toString(8)}` }, "the data directory is open to other users; make it private: chmod 700 <dataDir>");
}
