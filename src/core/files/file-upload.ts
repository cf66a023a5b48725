import { createWriteStream, constants as fsConstants } from "node:fs";
import { copyFile, lstat, open, readlink, rename, rm, truncate, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sep } from "node:path";
import type { JailedPath } from "./jail.js";
import type { QuotaLimits } from "./ports.js";
import { temporaryUploadPath } from "./temporary-upload.js";
import type { Usage } from "./usage.js";
import { LedgerUnavailable, type AccountUsage, type Hold } from "./usage-ledger.js";
import { failureOf, type FileFailure, type Result } from "./file-failures.js";

export interface UploadOptions {
  /** REST: start writing at this byte of the existing file. */
  readonly offset?: number;
  /** APPE: add to the end of the existing file. */
  readonly append?: boolean;
  /** Applied to the incoming bytes before they are written (e.g. ASCII line endings). */
  readonly transforms?: readonly Transform[];
  /**
   * Asked once every byte has arrived, before the file is final: false means the
   * sender is gone and the end of the bytes was not the end of the file (in FTP's
   * stream mode a killed client's data connection ends exactly like a complete one).
   */
  readonly complete?: () => Promise<boolean>;
  /**
   * Write to a hidden temporary file renamed over the target only when complete, whatever
   * `interruptedUploads` says: for a door that cannot resume (HTTP), a cut-off or refused
   * upload must leave nothing, and a file it replaces must stay whole until then.
   */
  readonly atomic?: boolean;
  /** The bytes the sender declared (an HTTP Content-Length): reserved against the quota before the first one arrives. */
  readonly expectedBytes?: number;
}

/** The limits an upload is held to, as they are when it starts (a FileSpace's SpaceLimits fit). */
export interface UploadLimits {
  /** Largest single file; 0 = no limit. */
  readonly maxFileBytes: number;
  readonly interruptedUploads: "delete" | "keep";
}

/** Bytes per write to the file. */
export const STREAM_CHUNK = 1024 * 1024;

class LimitExceeded extends Error {
  constructor(readonly reason: "quota" | "too-large") {
    super(reason);
  }
}

/**
 * Counts the bytes on their way to the file and stops them past `maxFile` or the quota,
 * growing the upload's reservation as they come (a database round trip only past what
 * is reserved) to the file's size less `counted`, the part of it the usage counts
 * already. `quota()` is read per chunk: a reload applies at once. With `keepsWhatArrived`
 * (written in place) a refusal leaves the bytes accepted before it reserved: they stay.
 */
function limitedCounter(
  start: number,
  counted: number,
  maxFile: number,
  held: Hold,
  quota: () => QuotaLimits,
  keepsWhatArrived: boolean,
): { stage: Transform; size: () => number } {
  let size = start;
  const stage = new Transform({
    transform: (chunk: Buffer, _encoding, callback: TransformCallback) => {
      const accepted = size;
      size += chunk.length;
      if (size > maxFile) return callback(new LimitExceeded("too-large"));
      const growth = size - counted;
      const limits = quota();
      // Within what is reserved, or no byte quota to check: no round trip.
      if (growth <= held.bytes || limits.quotaBytes === 0) return callback(null, chunk);
      held.grow(growth, limits, keepsWhatArrived ? Math.max(0, accepted - counted) : 0).then(
        (fits) => (fits ? callback(null, chunk) : callback(new LimitExceeded("quota"))),
        (error: unknown) => callback(error as Error),
      );
    },
  });
  return { stage, size: () => size };
}

/**
 * Writes `source` to `path` (STOR, with REST or APPE; an HTTP upload). With
 * interruptedUploads "delete" (or `atomic`) the bytes go to a hidden temporary file that
 * replaces the target only when complete, so a cut-off upload never leaves a truncated
 * file behind.
 *
 * Quotas: a reservation in the database (see UsageLedger) holds the new file and the
 * bytes this upload puts on disk beyond what the usage counts, grown as they arrive (or
 * taken whole up front for a declared length), so uploads on every node together stay
 * within the account's quota. Written in place, that is what the file grows beyond the
 * size it had. Through a temporary file, every byte of it: the file it replaces stays on
 * disk beside it until the rename (parallel uploads of one name would each write a copy
 * nobody counted). The reservation becomes usage when the file is final (the net change:
 * a renamed file gives the old one's bytes back), and is dropped otherwise.
 */
export async function uploadFile(
  ledger: AccountUsage,
  limits: UploadLimits,
  quota: () => QuotaLimits,
  path: JailedPath,
  source: Readable,
  options: UploadOptions,
): Promise<Result<{ bytes: number }>> {
  const job: UploadJob = { ledger, limits, quota, path, source, options };
  const atomic = options.atomic === true || limits.interruptedUploads === "delete";
  if (atomic && !isResume(options)) return upload(job, true);
  // A resume (REST, APPE) copies the part it keeps beside the file until it is done: one at a
  // time per file, or each would hold a copy of its own (bytes on disk the quota never saw)
  // and the last to finish would undo the others' appends.
  if (atomic) return oneAtATime(resumingByCopy, path.real, () => upload(job, true));
  // Two uploads into one file at once would interleave their bytes and each count the size
  // it replaced (vsftpd's lock_upload_files); an atomic one writes a file of its own.
  // Claimed before the file is looked at, so the size it replaces is measured under the claim.
  return oneAtATime(writingInPlace, path.real, () => upload(job, false));
}

/** Runs `work` while `real` is claimed in `claims`; "busy" when it already is. */
async function oneAtATime(claims: Set<string>, real: string, work: () => Promise<Result<{ bytes: number }>>): Promise<Result<{ bytes: number }>> {
  if (claims.has(real)) return { ok: false, reason: "busy" };
  claims.add(real);
  try {
    return await work();
  } finally {
    claims.delete(real);
  }
}

/** Files an upload is writing into in place ("keep"), on this node. */
const writingInPlace = new Set<string>();

/** Files a resumed upload is finishing through a copy ("delete" mode: REST or APPE), on this node. */
const resumingByCopy = new Set<string>();

function isResume(options: { readonly append?: boolean; readonly offset?: number }): boolean {
  return options.append === true || (options.offset ?? 0) > 0;
}

/** Whether a resumed upload (REST, APPE) of `real` is under way through a copy, on this node (another resume would be refused as busy). */
export function isBeingResumed(real: string): boolean {
  return resumingByCopy.has(real);
}

/** Whether an upload writes into `real` in place now, on this node (another would be refused as busy). */
export function isBeingWrittenInPlace(real: string): boolean {
  return writingInPlace.has(real);
}

/** Whether an upload writes in place into `real` or a file below it (a folder), on this node. */
export function isWrittenInPlaceAtOrBelow(real: string): boolean {
  if (writingInPlace.has(real)) return true;
  const prefix = real.endsWith(sep) ? real : real + sep;
  for (const path of writingInPlace) if (path.startsWith(prefix)) return true;
  return false;
}

/** uploadFile's arguments, as upload takes them. */
interface UploadJob {
  readonly ledger: AccountUsage;
  readonly limits: UploadLimits;
  readonly quota: () => QuotaLimits;
  readonly path: JailedPath;
  readonly source: Readable;
  readonly options: UploadOptions;
}

async function upload({ ledger, limits, quota, path, source, options }: UploadJob, atomic: boolean): Promise<Result<{ bytes: number }>> {
  const existing = await lstat(path.real).catch(() => null);
  if (existing && !existing.isFile()) return { ok: false, reason: existing.isDirectory() ? "is-a-directory" : "exists" };
  const oldSize = existing?.size ?? 0;
  // Writing there would leave a hole of zeros where the client believes its bytes are (clamped, they would land at the wrong place).
  if (!options.append && (options.offset ?? 0) > oldSize) return { ok: false, reason: "invalid-offset" };
  const start = options.append ? oldSize : (options.offset ?? 0);
  const { maxFileBytes } = limits;
  // What the usage counts of the file written: a temporary file is all new bytes on disk (the part of the file a resume keeps is copied into it).
  const counted = atomic ? 0 : oldSize;
  const expectedGrowth = Math.max(0, start + (options.expectedBytes ?? 0) - counted);
  const target = atomic ? temporaryUploadPath(path.real) : path.real;
  let hold: Hold | null;
  try {
    // Uploads running anywhere count too: two sessions each under the quota must not add up past it.
    hold = await ledger.hold({ bytes: expectedGrowth, files: existing ? 0 : 1 }, quota(), atomic ? target : null);
  } catch {
    return { ok: false, reason: "io" };
  }
  if (!hold) return { ok: false, reason: "quota" };
  const held = hold;
  const counter = limitedCounter(start, counted, maxFileBytes > 0 ? maxFileBytes : Infinity, held, quota, !atomic);
  // Where the bytes go exists already (the file itself, or a copy of the part kept by REST): write into it; else create it.
  let targetExists = false;
  let phase: "preparing" | "receiving" | "finishing" = "preparing";
  /** A second descriptor of the file written, read-only: where the file is now, after the stream closed its own (see whereNow). */
  let tracker: FileHandle | null = null;
  let sink: ReturnType<typeof createWriteStream> | null = null;
  /**
   * REST n + STOR in place: the file is cut to what it then holds (n and the bytes written)
   * only once bytes were written: one refused before its first byte (a limit, the quota)
   * leaves the file as it was, where cutting it at n first lost what followed.
   */
  const cutAfter = !atomic && existing && !options.append;
  try {
    if (atomic && start > 0) {
      await copyFile(path.real, target);
      await truncate(target, start);
      targetExists = true;
    } else if (!atomic && existing) {
      targetExists = true;
    }
    // O_NOFOLLOW: a link swapped in for the file after the checks above is not written through.
    const flags = (targetExists ? fsConstants.O_WRONLY : fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC) | fsConstants.O_NOFOLLOW;
    const handle = await open(target, flags, 0o644);
    // Through the descriptor, not the path: it is the very file written, whatever is renamed meanwhile.
    // Writable: the file is cut through it after the stream closed its own (cutAfter).
    tracker = await open(`/proc/self/fd/${handle.fd}`, fsConstants.O_WRONLY).catch(() => open(target, fsConstants.O_WRONLY | fsConstants.O_NOFOLLOW)).catch(() => null);
    // The stream owns the handle from here and closes it when done or destroyed.
    sink = createWriteStream("", { fd: handle, start, highWaterMark: STREAM_CHUNK });
    phase = "receiving";
    await pipeline([source, ...(options.transforms ?? []), counter.stage, sink]);
    if (options.complete && !(await options.complete())) throw new Error("the sender went away before confirming the end of the file");
    phase = "finishing";
    const size = counter.size();
    if (cutAfter) await (tracker ? tracker.truncate(size) : truncate(target, size));
    let change: Usage = { bytes: size - oldSize, files: existing ? 0 : 1 };
    if (atomic) {
      // The reservation held all of the temporary file; the usage changes by the net: what the
      // rename replaces now (another node may have stored a file here since the upload began).
      const replaced = await lstat(path.real).catch(() => null);
      if (replaced?.isFile()) change = { bytes: size - replaced.size, files: 0 };
      else if (existing) change = { bytes: size, files: 1 };
      await rename(target, path.real);
    }
    await held.settle(change);
    return { ok: true, bytes: size - start };
  } catch (error) {
    // Before the bytes flowed, and once they all had, the file system's own reason (a folder
    // gone since the check, or renamed away); while they flowed, a limit, a full disk, the
    // database, or the sender going away.
    const reason: FileFailure =
      error instanceof LimitExceeded
        ? error.reason
        : error instanceof LedgerUnavailable
          ? "io"
          : phase !== "receiving" || failureOf(error) === "no-space"
            ? failureOf(error)
            : "interrupted";
    // Another session may have renamed a folder on the file's path meanwhile: where it is now, not where it was made.
    const now = await whereNow(tracker, target);
    if (atomic) {
      // A failure to delete is not the upload's: the reservation's expiry deletes the file it names.
      if (now !== null) await rm(now, { force: true }).catch(() => {});
    }
    else {
      // Keep what arrived (resumable with REST), a limit included: the chunk that crossed it was
      // never written, so what is on disk is within it (and its reservation, see limitedCounter).
      const written = sink?.bytesWritten ?? 0;
      if (cutAfter && written > 0) await (tracker ? tracker.truncate(start + written) : truncate(target, start + written)).catch(() => {});
      const kept = now === null ? null : await lstat(now).catch(() => null);
      // A new file that got no byte holds nothing to resume from: not left behind as an empty file.
      const leftEmpty = !existing && kept?.isFile() === true && kept.size === 0;
      const removed = leftEmpty && now !== null && (await rm(now).then(() => true, () => false));
      // A file that was never created (its folder is gone, the disk refused it) is not counted.
      if (kept?.isFile() && !removed) await held.settle({ bytes: kept.size - oldSize, files: existing ? 0 : 1 });
    }
    return { ok: false, reason };
  } finally {
    await tracker?.close().catch(() => {});
    // After the temporary file is gone: a measurement never sees it without a reservation.
    await held.release();
  }
}

/**
 * Where the file open on `tracker` is now, from the kernel's record of the descriptor
 * (/proc): another session may have renamed a folder on its path while the bytes arrived,
 * and the path it was made at (`made`) then names nothing, or something else. Deleting
 * there would leave an interrupted upload's temporary file behind, hidden from listings and
 * counted against the quota for good. Null when the file is gone; `made` without /proc.
 */
async function whereNow(tracker: FileHandle | null, made: string): Promise<string | null> {
  if (tracker === null) return made;
  // No links left: deleted (the kernel's " (deleted)" suffix could be part of a name).
  if ((await tracker.stat().catch(() => null))?.nlink === 0) return null;
  return readlink(`/proc/self/fd/${tracker.fd}`).catch(() => made);
}
