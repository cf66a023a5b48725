import { constants as fsConstants, type Stats } from "node:fs";
import { chmod, lstat, lutimes, mkdir, open, readdir, realpath, rename, rm, rmdir, stat, unlink, utimes, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, sep } from "node:path";
import { Readable } from "node:stream";
import { confineRealPath, descriptorInside, resolveSpelling, type JailedPath } from "./jail.js";
import { measureUsage, type Usage } from "./usage.js";
import type { AccountUsage, Hold } from "./usage-ledger.js";
import type { QuotaLimits } from "./ports.js";
import { failureOf, type Result } from "./file-failures.js";
import { isBeingResumed, isBeingWrittenInPlace, isWrittenInPlaceAtOrBelow, uploadFile, type UploadOptions } from "./file-upload.js";
import { OpenedFile } from "./opened-file.js";
import { fitsWhenMoved } from "./path-depth.js";
import { SerialQueues } from "../../serial-queues.js";

/** The moves under way, by account root: one at a time each (see rename). */
const MOVES = new SerialQueues<string>();

export type { FileFailure, Result } from "./file-failures.js";
export type { UploadOptions } from "./file-upload.js";

export interface FileEntry {
  readonly name: string;
  readonly type: "file" | "dir" | "other";
  readonly size: number;
  readonly modified: Date;
  readonly mode: number;
  /** Stable for the life of the file (device and inode), for MLSD's `unique` fact. */
  readonly unique: string;
}

function entryOf(name: string, s: Stats): FileEntry {
  return {
    name,
    type: s.isDirectory() ? "dir" : s.isFile() ? "file" : "other",
    size: s.size,
    modified: s.mtime,
    mode: s.mode,
    unique: `${s.dev.toString(16)}g${s.ino.toString(16)}`,
  };
}

export interface SpaceLimits {
  /** Bytes the account may store; 0 = no limit. */
  readonly quotaBytes: number;
  /** Files the account may store; 0 = no limit. */
  readonly quotaFiles: number;
  /** Largest single file; 0 = no limit. */
  readonly maxFileBytes: number;
  /** What an upload cut off midway leaves: nothing ("delete"), or the bytes that arrived in place ("keep", resumable). */
  readonly interruptedUploads: "delete" | "keep";
}

export { isTemporaryUpload } from "./temporary-upload.js";

/**
 * One account's files: every path goes through the jail, every change keeps the
 * usage figures right, and quotas are enforced while bytes arrive, not after.
 * The figures and the uploads in progress are in the database (AccountUsage), so
 * sessions on every node sharing the volume count against one quota. One instance
 * per account and node is shared by all its sessions there (see FileService).
 */
export class FileSpace {
  private constructor(
    readonly root: string,
    /**
     * `root` with its own links resolved, once when the space opens rather than on every
     * command. Should the root later be swapped for a link elsewhere, paths resolve outside
     * this one and are refused: a stale value fails closed.
     */
    private readonly realRoot: string,
    private limits: SpaceLimits,
    /** Null for a read-only space. */
    readonly ledger: AccountUsage | null,
  ) {}

  /**
   * Opens the space at `root`, writable with the account's `ledger` (its usage brought in
   * line with the folder first: see AccountUsage.synchronise), read-only with null.
   */
  static async open(root: string, limits: SpaceLimits, ledger: AccountUsage | null): Promise<FileSpace> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    // A read-only space never writes, so its usage is never checked: no need to walk what may
    // be a large public tree on every anonymous login.
    if (ledger) await ledger.synchronise();
    return new FileSpace(root, await realpath(root), limits, ledger);
  }

  get readOnly(): boolean {
    return this.ledger === null;
  }

  /** What the account's files hold, as recorded (nothing for a read-only space). */
  async usage(): Promise<Usage> {
    if (!this.ledger) return { bytes: 0, files: 0 };
    const { bytes, files } = await this.ledger.read();
    return { bytes: Math.max(0, bytes), files: Math.max(0, files) };
  }

  #quota(): QuotaLimits {
    return { quotaBytes: this.limits.quotaBytes, quotaFiles: this.limits.quotaFiles };
  }

  updateLimits(limits: SpaceLimits): void {
    this.limits = limits;
  }

  /** Bytes the account may store; 0 = no limit. */
  get quotaBytes(): number {
    return this.limits.quotaBytes;
  }

  /** Resolves a user path and checks that, links followed, it stays in the space. */
  async resolve(cwd: string, input: string): Promise<Result<{ path: JailedPath }>> {
    const path = await resolveSpelling(this.root, cwd, input);
    if (typeof path === "string") return { ok: false, reason: path };
    if (!(await confineRealPath(this.root, path.real, this.realRoot))) return { ok: false, reason: "outside" };
    // "notes.txt/" names a folder, and a file is there: refused as POSIX does (ENOTDIR), whatever the command.
    // So is a link there ("dirlink/"), which the separator would have the kernel follow: links are never followed.
    if (path.real.endsWith(sep) && (await lstat(path.real.slice(0, -1)).then((s) => !s.isDirectory(), () => false))) return { ok: false, reason: "not-a-directory" };
    return { ok: true, path };
  }

  /**
   * Resolves a user path and opens it for reading (RETR), the jail proven on the opened
   * descriptor (see openFile) instead of by a realpath before the open: one thread-pool
   * round trip fewer per download. Refusals are resolve's: "outside" for a link out of the
   * space (or a link as the last part of the path: O_NOFOLLOW), "invalid-name".
   */
  async resolveAndOpenFile(cwd: string, input: string, offset: number): Promise<Result<{ path: JailedPath; file: OpenedFile }>> {
    const path = await resolveSpelling(this.root, cwd, input);
    if (typeof path === "string") return { ok: false, reason: path };
    const opened = await this.openFile(path, offset);
    return opened.ok ? { ...opened, path } : opened;
  }

  /**
   * The entry `path` names, itself: a symbolic link there is not followed, and reads as
   * "other" (neither a file nor a folder), as anything else that is not one does.
   */
  async stat(path: JailedPath): Promise<Result<{ entry: FileEntry }>> {
    try {
      const s = await entryStats(path);
      return { ok: true, entry: entryOf(basename(path.virtual) || "/", s) };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /** Directory entries, links shown as what they are (never followed out of the space). */
  async list(path: JailedPath): Promise<Result<{ entries: FileEntry[] }>> {
    try {
      const names = await readdir(path.real);
      const entries: FileEntry[] = [];
      for (const name of names.sort()) {
        try {
          entries.push(entryOf(name, await lstat(join(path.real, name))));
        } catch {
          // Gone between readdir and lstat: leave it out.
        }
      }
      return { ok: true, entries };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /** Makes a folder; it counts against the file quota as a file does (see measureUsage). */
  makeDirectory(path: JailedPath): Promise<Result<object>> {
    return this.#makeOneEntry(path, () => mkdir(path.real, { mode: 0o755 }));
  }

  /**
   * Makes an empty file at `path`, refused with "exists" when anything is there: an
   * exclusive create, so of two sessions (on any nodes sharing the volume) claiming one
   * name at once exactly one gets it. Counts against the file quota.
   */
  createEmpty(path: JailedPath): Promise<Result<object>> {
    return this.#makeOneEntry(path, async () => {
      const handle = await open(path.real, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o644);
      await handle.close();
    });
  }

  /** Makes one entry (a file or a folder) at `path` with `make`, within the file quota: held first, counted once made. */
  async #makeOneEntry(path: JailedPath, make: () => Promise<unknown>): Promise<Result<object>> {
    const ledger = this.ledger;
    if (!ledger) return { ok: false, reason: "read-only" };
    let hold: Hold | null;
    try {
      hold = await ledger.hold({ bytes: 0, files: 1 }, this.#quota());
    } catch {
      return { ok: false, reason: "io" };
    }
    // Something already there is what the client is told of (MKD of a folder it has is 550, not 552).
    if (!hold) return { ok: false, reason: (await exists(path.real)) ? "exists" : "quota" };
    try {
      await make();
      await hold.settle({ bytes: 0, files: 1 });
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    } finally {
      await hold.release();
    }
  }

  async removeDirectory(path: JailedPath): Promise<Result<object>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    if (path.virtual === "/") return { ok: false, reason: "read-only" };
    const ledger = this.ledger;
    if (!ledger) return { ok: false, reason: "read-only" };
    try {
      return await ledger.change(async () => {
        await rmdir(path.real);
        return { result: { ok: true } as const, change: { bytes: 0, files: -1 } };
      });
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /**
   * Removes a folder and everything below it (links are removed, never followed) and
   * takes what it held off the usage figures. Never the space's root.
   */
  async removeTree(path: JailedPath): Promise<Result<object>> {
    const ledger = this.ledger;
    if (!ledger || path.virtual === "/") return { ok: false, reason: "read-only" };
    // An upload writing in place (keep mode) below: its bytes are reserved, not counted, and it
    // would record the file where it no longer is. It finishes first.
    if (isWrittenInPlaceAtOrBelow(path.real)) return { ok: false, reason: "busy" };
    try {
      const s = await lstat(path.real);
      if (!s.isDirectory()) return { ok: false, reason: "not-a-directory" };
      return await ledger.change(async () => {
        // Not the temporary files of uploads under way: their bytes are reserved, not counted,
        // and the upload that fails for its folder gone gives its reservation back itself.
        const held = await measureUsage(path.real, { withoutUploads: true });
        await rm(path.real, { recursive: true });
        // The folder itself counted as one too.
        return { result: { ok: true } as const, change: { bytes: -held.bytes, files: -held.files - 1 } };
      });
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  async delete(path: JailedPath): Promise<Result<object>> {
    const ledger = this.ledger;
    if (!ledger) return { ok: false, reason: "read-only" };
    // Being written in place (keep mode): its size on disk is the upload's, reserved, not counted.
    if (isBeingWrittenInPlace(path.real)) return { ok: false, reason: "busy" };
    try {
      const s = await lstat(path.real);
      if (s.isDirectory()) return { ok: false, reason: "is-a-directory" };
      return await ledger.change(async () => {
        await unlink(path.real);
        return { result: { ok: true } as const, change: s.isFile() ? { bytes: -s.size, files: -1 } : { bytes: 0, files: 0 } };
      });
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /** RNFR/RNTO replace a file in the way (FTP's rule); `noReplace` refuses it with "exists" instead. */
  async rename(from: JailedPath, to: JailedPath, options: { noReplace?: boolean } = {}): Promise<Result<object>> {
    const ledger = this.ledger;
    if (!ledger) return { ok: false, reason: "read-only" };
    if (from.virtual === "/") return { ok: false, reason: "invalid-name" };
    // A name to itself: nothing to do, once it exists (vsftpd answers 250 too).
    if (from.real === to.real) return lstat(from.real).then(() => ({ ok: true }) as const, (error: unknown) => ({ ok: false, reason: failureOf(error) }) as const);
    if ((to.virtual + "/").startsWith(from.virtual + "/")) return { ok: false, reason: "into-itself" };
    // Neither what an upload writes in place (keep mode) nor a file it would replace: it finishes first.
    if (isWrittenInPlaceAtOrBelow(from.real) || isBeingWrittenInPlace(to.real)) return { ok: false, reason: "busy" };
    // One move at a time per account (on this node): a folder's depth is checked, then it is moved,
    // and another move between the two could put something deep into it that the check never saw.
    return MOVES.run(this.root, async () => {
      try {
        const moved = await lstat(from.real);
        const replaced = await lstat(to.real).catch(() => null);
        if (replaced?.isDirectory() || (replaced && options.noReplace)) return { ok: false, reason: "exists" };
        // Nothing below a folder may end up with a path longer than the system takes.
        if (moved.isDirectory() && !(await fitsWhenMoved(from.real, to.real))) return { ok: false, reason: "too-deep" };
        if (!replaced?.isFile()) {
          await rename(from.real, to.real);
          return { ok: true };
        }
        return await ledger.change(async () => {
          await rename(from.real, to.real);
          return { result: { ok: true } as const, change: { bytes: -replaced.size, files: -1 } };
        });
      } catch (error) {
        return { ok: false, reason: failureOf(error) };
      }
    });
  }

  /**
   * Sets the modification time (MFMT, SITE UTIME): mirroring clients keep the times of
   * what they upload this way. The access time is left as it was. Gives the time the file
   * system actually kept, read back: it may hold less precision, and clamps a time outside
   * its range (ext4 keeps 1901-12-13 to 2446-05-10) without an error.
   */
  async setModified(path: JailedPath, modified: Date): Promise<Result<{ modified: Date }>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    try {
      // A link is not followed (lutimes would change its own times): only a file or a folder is changed.
      const s = await entryStats(path);
      if (!s.isFile() && !s.isDirectory()) return { ok: false, reason: "not-found" };
      await (path.virtual === "/" ? utimes : lutimes)(entryPath(path), s.atime, modified);
      return { ok: true, modified: (await entryStats(path)).mtime };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /**
   * SITE CHMOD: the permission bits only (no setuid, setgid or sticky), never on the space's
   * root, and never taking the server's own access away: the owner (the server) keeps read
   * and write, and search on folders. A folder it could not read would hide its files from
   * the quota's count, and one it could not write would keep an interrupted upload's
   * temporary file (vsftpd bounds modes the same way with its file_open_mode).
   */
  async setMode(path: JailedPath, mode: number): Promise<Result<object>> {
    if (this.readOnly || path.virtual === "/") return { ok: false, reason: "read-only" };
    try {
      // chmod follows a link: a link (or anything but a file or a folder) is refused, never changed through.
      const s = await entryStats(path);
      if (!s.isFile() && !s.isDirectory()) return { ok: false, reason: "not-found" };
      await chmod(entryPath(path), (mode & 0o777) | (s.isDirectory() ? 0o700 : 0o600));
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /**
   * A stream of the file from `offset` (REST, an HTTP range), at most `length` bytes
   * (all the rest when omitted), with the file's total size.
   */
  async openRead(path: JailedPath, offset: number, length = Infinity): Promise<Result<{ stream: Readable; size: number }>> {
    const opened = await this.openFile(path, offset, length);
    return opened.ok ? { ok: true, size: opened.file.size, stream: opened.file.stream() } : opened;
  }

  /**
   * Opens the file for reading from `offset`, at most `length` bytes: an OpenedFile to
   * stream or send, which the caller must close (it closes itself when streamed to the end).
   * Only a regular file (or a folder, refused as one): anything else in the space (a FIFO, a
   * device, a socket) is "not-found", as listings leave it out.
   */
  async openFile(path: JailedPath, offset: number, length = Infinity): Promise<Result<{ file: OpenedFile }>> {
    let handle: FileHandle | null = null;
    try {
      // O_NOFOLLOW: a link as the last part of the path is not followed; one on the way there is
      // caught by checking where the descriptor ended up (without /proc, by the path as resolve does).
      // O_NONBLOCK: a FIFO opened without it waits for a writer, holding one of libuv's few
      // thread-pool threads meanwhile: a handful would stall every file operation and password
      // check of the server. Reads of a regular file ignore the flag.
      handle = await open(path.real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
      if (!(descriptorInside(this.realRoot, handle.fd) ?? (await confineRealPath(this.root, path.real, this.realRoot)))) {
        await handle.close();
        return { ok: false, reason: "outside" };
      }
      const s = await handle.stat();
      if (!s.isFile() || offset > s.size) {
        await handle.close();
        return { ok: false, reason: s.isDirectory() ? "is-a-directory" : s.isFile() ? "invalid-offset" : "not-found" };
      }
      // Bounded by the size fstat gave: bytes appended while it is sent are not sent (the 150 reply already gave the size).
      return { ok: true, file: new OpenedFile(handle, s.size, offset, Math.max(0, Math.min(s.size - offset, length))) };
    } catch (error) {
      await handle?.close().catch(() => {});
      return { ok: false, reason: failureOf(error) };
    }
  }

  /**
   * The checks an upload to `path` would fail on before any byte arrives: read-only,
   * a directory or link in the way, a missing parent folder, the file quota. Lets an
   * adapter refuse before it opens a data connection; `upload` checks them again, and
   * only its reservation is binding (another node may take the room meanwhile).
   * With `expectedBytes` (a declared length), also whether that many would fit. A name
   * too long for the file system is refused here, as MKD's is by the kernel: an upload
   * writes to a short temporary name first, and would learn it only at the final rename,
   * after every byte came.
   */
  async checkUpload(path: JailedPath, expectedBytes?: number, offset = 0, append = false): Promise<Result<object>> {
    const ledger = this.ledger;
    if (!ledger) return { ok: false, reason: "read-only" };
    if (tooLongForTheFileSystem(path)) return { ok: false, reason: "invalid-name" };
    // "name/" names a folder: no file is made that the path did not name.
    if (path.real.endsWith(sep)) return { ok: false, reason: (await exists(path.real)) ? "is-a-directory" : "invalid-name" };
    const existing = await lstat(path.real).catch(() => null);
    if (existing && !existing.isFile()) return { ok: false, reason: existing.isDirectory() ? "is-a-directory" : "exists" };
    if (offset > (existing?.size ?? 0)) return { ok: false, reason: "invalid-offset" };
    if (this.limits.interruptedUploads === "keep" && isBeingWrittenInPlace(path.real)) return { ok: false, reason: "busy" };
    if (this.limits.interruptedUploads === "delete" && (offset > 0 || append) && isBeingResumed(path.real)) return { ok: false, reason: "busy" };
    const parent = await stat(dirname(path.real)).catch(() => null);
    if (!parent) return { ok: false, reason: "not-found" };
    if (!parent.isDirectory()) return { ok: false, reason: "not-a-directory" };
    const { quotaBytes, quotaFiles, maxFileBytes } = this.limits;
    if (expectedBytes !== undefined && maxFileBytes > 0 && expectedBytes > maxFileBytes) return { ok: false, reason: "too-large" };
    if (quotaBytes === 0 && quotaFiles === 0) return { ok: true };
    let standing;
    try {
      standing = await ledger.read();
    } catch {
      return { ok: false, reason: "io" };
    }
    if (!existing && quotaFiles > 0 && standing.files + standing.reservedFiles >= quotaFiles) return { ok: false, reason: "quota" };
    if (expectedBytes !== undefined) {
      const growth = expectedBytes - (existing?.size ?? 0);
      if (quotaBytes > 0 && growth > 0 && standing.bytes + standing.reservedBytes + growth > quotaBytes) return { ok: false, reason: "quota" };
    }
    return { ok: true };
  }

  /** Writes `source` to `path` (STOR, with REST or APPE; an HTTP upload), within the limits and quota: see uploadFile. */
  async upload(path: JailedPath, source: Readable, options: UploadOptions = {}): Promise<Result<{ bytes: number }>> {
    if (!this.ledger) return { ok: false, reason: "read-only" };
    if (path.real.endsWith(sep) || tooLongForTheFileSystem(path)) return { ok: false, reason: "invalid-name" };
    return uploadFile(this.ledger, this.limits, () => this.#quota(), path, source, options);
  }
}

/** Linux's NAME_MAX, and its PATH_MAX less the terminating NUL: what the kernel refuses with ENAMETOOLONG. */
const MAX_NAME_BYTES = 255;
const MAX_PATH_BYTES = 4095;

/** Whether a name in `path` (the account's, not the space's root) or the whole path on disk is longer than the kernel takes. */
function tooLongForTheFileSystem(path: JailedPath): boolean {
  return Buffer.byteLength(path.real) > MAX_PATH_BYTES || path.virtual.split("/").some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES);
}

/** The path of the entry `path` names, without the separator that would make the kernel follow a link there. */
function entryPath(path: JailedPath): string {
  return path.real.endsWith(sep) && path.virtual !== "/" ? path.real.slice(0, -1) : path.real;
}

/**
 * lstat of the entry `path` names: a link there is the link, also when the path ends in "/"
 * (which then names a folder, so a link or a file there is ENOTDIR). The space's root is
 * followed: an operator may have made it a link to where the files are.
 */
async function entryStats(path: JailedPath): Promise<Stats> {
  if (path.virtual === "/") return stat(path.real);
  const s = await lstat(entryPath(path));
  if (path.real.endsWith(sep) && !s.isDirectory()) throw Object.assign(new Error(`not a directory: ${path.virtual}`), { code: "ENOTDIR" });
  return s;
}

/** True when anything (a link too) is at `real`. */
async function exists(real: string): Promise<boolean> {
  return lstat(real).then(
    () => true,
    () => false,
  );
}
