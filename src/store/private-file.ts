import { chmodSync, closeSync, constants, openSync, statSync } from "node:fs";

/** What SQLite keeps beside the database: each holds the same data (every DM, every password verifier). */
const SQLITE_COMPANIONS = ["-wal", "-shm", "-journal"] as const;

/**
 * Makes the SQLite file `file` readable by the server's user only, whatever the umask:
 * created empty with mode 0600 when absent (SQLite gives its WAL and SHM files the
 * database file's mode), and an existing one, or a companion left by an older version,
 * loses any group and other bits.
 */
export function makeDatabaseFilePrivate(file: string): void {
  // The mode applies only when the file is created here; umask can only take bits away.
  closeSync(openSync(file, constants.O_CREAT | constants.O_RDWR, 0o600));
  for (const path of [file, ...SQLITE_COMPANIONS.map((suffix) => `${file}${suffix}`)]) {
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch {
      continue;
    }
    if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
  }
}
