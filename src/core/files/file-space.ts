import { createReadStream, createWriteStream, constants as fsConstants, type Stats } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, truncate, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { confineRealPath, resolveVirtual, type JailedPath } from "./jail.js";
import { measureUsage, type Usage } from "./usage.js";

export type FileFailure =
  | "invalid-name"
  | "outside"
  | "not-found"
  | "exists"
  | "not-a-directory"
  | "is-a-directory"
  | "not-empty"
  | "read-only"
  | "quota"
  | "too-large"
  | "no-space"
  | "interrupted"
  | "io";

export type Result<T> = ({ ok: true } & T) | { ok: false; reason: FileFailure };

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

export interface UploadOptions {
  /** REST: start writing at this byte of the existing file. */
  readonly offset?: number;
  /** APPE: add to the end of the existing file. */
  readonly append?: boolean;
  /** Applied to the incoming bytes before they are written (e.g. ASCII line endings). */
  readonly transforms?: readonly Transform[];
}

const STREAM_CHUNK = 1024 * 1024;

function failureOf(error: unknown): FileFailure {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return "not-found";
    case "EEXIST":
      return "exists";
    case "ENOTDIR":
      return "not-a-directory";
    case "EISDIR":
      return "is-a-directory";
    case "ENOTEMPTY":
      return "not-empty";
    case "ENOSPC":
    case "EDQUOT":
      return "no-space";
    case "ELOOP":
      return "outside";
    default:
      return "io";
  }
}

class LimitExceeded extends Error {
  constructor(readonly reason: "quota" | "too-large") {
    super(reason);
  }
}

/**
 * One account's files: every path goes through the jail, every change keeps the
 * usage figures right, and quotas are enforced while bytes arrive, not after.
 * One instance per account is shared by all its sessions (see FileService).
 */
export class FileSpace {
  private constructor(
    readonly root: string,
    private limits: SpaceLimits,
    readonly readOnly: boolean,
    readonly usage: Usage,
  ) {}

  static async open(root: string, limits: SpaceLimits, readOnly = false): Promise<FileSpace> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new FileSpace(root, limits, readOnly, await measureUsage(root));
  }

  updateLimits(limits: SpaceLimits): void {
    this.limits = limits;
  }

  /** Resolves a user path and checks that, links followed, it stays in the space. */
  async resolve(cwd: string, input: string): Promise<Result<{ path: JailedPath }>> {
    const path = resolveVirtual(this.root, cwd, input);
    if (typeof path === "string") return { ok: false, reason: path };
    if (!(await confineRealPath(this.root, path.real))) return { ok: false, reason: "outside" };
    return { ok: true, path };
  }

  async stat(path: JailedPath): Promise<Result<{ entry: FileEntry }>> {
    try {
      const s = await stat(path.real);
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

  async makeDirectory(path: JailedPath): Promise<Result<object>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    try {
      await mkdir(path.real, { mode: 0o755 });
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  async removeDirectory(path: JailedPath): Promise<Result<object>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    if (path.virtual === "/") return { ok: false, reason: "read-only" };
    try {
      await rmdir(path.real);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  async delete(path: JailedPath): Promise<Result<object>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    try {
      const s = await lstat(path.real);
      if (s.isDirectory()) return { ok: false, reason: "is-a-directory" };
      await unlink(path.real);
      if (s.isFile()) {
        this.usage.bytes -= s.size;
        this.usage.files--;
      }
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  async rename(from: JailedPath, to: JailedPath): Promise<Result<object>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    if (from.virtual === "/" || (to.virtual + "/").startsWith(from.virtual + "/")) return { ok: false, reason: "invalid-name" };
    try {
      await lstat(from.real);
      const replaced = await lstat(to.real).catch(() => null);
      if (replaced?.isDirectory()) return { ok: false, reason: "exists" };
      await rename(from.real, to.real);
      if (replaced?.isFile()) {
        this.usage.bytes -= replaced.size;
        this.usage.files--;
      }
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /** A stream of the file from `offset` (REST), with its total size. */
  async openRead(path: JailedPath, offset: number): Promise<Result<{ stream: Readable; size: number }>> {
    try {
      // O_NOFOLLOW: a link swapped in after the check is not followed.
      const handle = await open(path.real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      const s = await handle.stat();
      if (s.isDirectory()) {
        await handle.close();
        return { ok: false, reason: "is-a-directory" };
      }
      // The stream owns the handle from here and closes it when done or destroyed.
      return { ok: true, size: s.size, stream: createReadStream("", { fd: handle, start: offset, highWaterMark: STREAM_CHUNK, autoClose: true }) };
    } catch (error) {
      return { ok: false, reason: failureOf(error) };
    }
  }

  /**
   * Writes `source` to `path` (STOR, with REST or APPE). With interruptedUploads
   * "delete" the bytes go to a hidden temporary file that replaces the target only
   * when complete, so a cut-off upload never leaves a truncated file behind.
   */
  async upload(path: JailedPath, source: Readable, options: UploadOptions = {}): Promise<Result<{ bytes: number }>> {
    if (this.readOnly) return { ok: false, reason: "read-only" };
    const existing = await lstat(path.real).catch(() => null);
    if (existing && !existing.isFile()) return { ok: false, reason: existing.isDirectory() ? "is-a-directory" : "exists" };
    const oldSize = existing?.size ?? 0;
    const { quotaBytes, quotaFiles, maxFileBytes, interruptedUploads } = this.limits;
    if (!existing && quotaFiles > 0 && this.usage.files >= quotaFiles) return { ok: false, reason: "quota" };
    const start = options.append ? oldSize : Math.min(options.offset ?? 0, oldSize);
    const atomic = interruptedUploads === "delete";
    const target = atomic ? join(dirname(path.real), `.${basename(path.real)}.upload-${randomBytes(6).toString("hex")}`) : path.real;
    // Room for this file: the quota minus everything else stored.
    const room = quotaBytes > 0 ? quotaBytes - (this.usage.bytes - oldSize) : Infinity;
    const cap = Math.min(room, maxFileBytes > 0 ? maxFileBytes : Infinity);
    let size = start;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        size += chunk.length;
        if (size > cap) callback(new LimitExceeded(size > room ? "quota" : "too-large"));
        else callback(null, chunk);
      },
    });
    try {
      if (atomic && start > 0) {
        await copyFile(path.real, target);
        await truncate(target, start);
      } else if (!atomic && existing && !options.append) {
        await truncate(target, start);
      }
      const sink = createWriteStream(target, { flags: start > 0 || options.append ? "r+" : "w", start, highWaterMark: STREAM_CHUNK, mode: 0o644 });
      await pipeline([source, ...(options.transforms ?? []), counter, sink]);
      if (atomic) await rename(target, path.real);
      this.#account(existing !== null, oldSize, size);
      return { ok: true, bytes: size - start };
    } catch (error) {
      const reason: FileFailure = error instanceof LimitExceeded ? error.reason : failureOf(error) === "no-space" ? "no-space" : "interrupted";
      if (atomic) await rm(target, { force: true });
      else {
        // Keep what arrived (resumable with REST), but never beyond the limit.
        if (size > cap) await truncate(target, Math.min(cap, start)).catch(() => {});
        const kept = await lstat(target).catch(() => null);
        this.#account(existing !== null, oldSize, kept?.size ?? oldSize);
      }
      return { ok: false, reason };
    }
  }

  #account(existed: boolean, oldSize: number, newSize: number): void {
    this.usage.bytes += newSize - oldSize;
    if (!existed) this.usage.files++;
  }
}
