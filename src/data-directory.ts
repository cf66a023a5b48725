import { stat } from "node:fs/promises";
import type { Logger } from "pino";

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
