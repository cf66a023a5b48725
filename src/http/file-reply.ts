import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FileEntry, FileSpace } from "../core/files/file-space.js";
import type { JailedPath } from "../core/files/jail.js";
import { fileProblem } from "./file-problems.js";
import { ProblemError } from "./problems.js";

/** RFC 8187 attr-char: what may stand unencoded in `filename*`. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * `Content-Disposition` (RFC 6266) for `name`: an ASCII `filename` for old clients and
 * the exact UTF-8 name as `filename*`. Quotes, backslashes and control characters
 * never reach the header.
 */
export function contentDisposition(kind: "attachment" | "inline", name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  let encoded = "";
  for (const byte of Buffer.from(name, "utf8")) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export type ByteRange = { readonly start: number; readonly end: number } | "unsatisfiable" | null;

/**
 * One `Range: bytes=` range (RFC 9110 14.1.2) in a file of `size` bytes: inclusive
 * bounds, "unsatisfiable", or null to send the whole file (no range, several
 * ranges, or a malformed one — which the RFC says to ignore). The unit is
 * case-insensitive (RFC 9110 14.1): `BYTES=0-1` is a range too.
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = position(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = position(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(position(last), size - 1);
  return end < start ? null : { start, end };
}

/** A byte position of any length: past 15 significant digits it is beyond every file (Infinity), never a rounded number. */
function position(digits: string): number {
  const significant = digits.replace(/^0+/, "");
  return significant.length > 15 ? Infinity : Number(significant);
}

export interface FileReplyOptions {
  readonly type: string;
  readonly disposition: "attachment" | "inline";
  /** Extra headers (the share route's sandbox). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * How long after its last change a file's validators become strong. RFC 9110 8.8.2.2: a
 * Last-Modified is strong when it is at least a second before the Date of the response
 * that carried it; a file changed less than a second ago may change again within the
 * same second (and within one tick of the file system's clock), unseen by its dates.
 */
const STRONG_AFTER_MS = 1000;

/** The versions a download can be checked against: the entity tag and, once strong, the date. */
interface Validators {
  /** Strong (`"…"`) once the file is STRONG_AFTER_MS old, weak (`W/"…"`) before. */
  readonly etag: string;
  /** Only once the file is STRONG_AFTER_MS old (never in the future): see STRONG_AFTER_MS. */
  readonly lastModified: string | null;
}

/**
 * The file's validators at `now`. The tag is a digest (inode numbers stay private) of the
 * file's identity (device and inode: a replacing upload is a new file), size and
 * modification time; weak while the file is younger than a second, as Apache's are, since
 * two writes within one tick of the file system's clock leave the same time behind.
 */
function validatorsOf(entry: FileEntry, now: number): Validators {
  const digest = createHash("sha256").update(`${entry.unique}:${entry.size}:${entry.modified.getTime()}`).digest("base64url").slice(0, 27);
  const strong = now - entry.modified.getTime() >= STRONG_AFTER_MS;
  return { etag: strong ? `"${digest}"` : `W/"${digest}"`, lastModified: strong ? entry.modified.toUTCString() : null };
}

/**
 * Whether a Range may be honoured under `If-Range` (RFC 9110 13.1.5): absent, or a validator
 * of the version the file is now, compared strongly. An entity tag matches only when both it
 * and ours are strong and equal (a weak one never does); a date only when it is exactly the
 * Last-Modified we would send, and we send one only when it is a strong validator (8.8.2.2).
 * Anything else means the client's copy may be of another version: the whole file, 200.
 */
function rangeStillValid(ifRange: string | readonly string[] | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  if (typeof ifRange !== "string") return false;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return !validators.etag.startsWith("W/") && value === validators.etag;
  return validators.lastModified !== null && value === validators.lastModified;
}

/** Streams the file at `path` (with Range support), or throws the problem why not. */
export async function sendFile(request: FastifyRequest, reply: FastifyReply, space: FileSpace, path: JailedPath, options: FileReplyOptions): Promise<FastifyReply> {
  const found = await space.stat(path);
  if (!found.ok) throw fileProblem(found.reason);
  if (found.entry.type === "dir") throw fileProblem("is-a-directory");
  if (found.entry.type !== "file") throw fileProblem("not-found");
  const size = found.entry.size;
  const validators = validatorsOf(found.entry, Date.now());
  // If-Range (RFC 9110 13.1.5): a part only of the file the client still has; a changed file is sent whole.
  const range = rangeStillValid(request.headers["if-range"], validators) ? parseRange(request.headers.range, size) : null;
  if (range === "unsatisfiable") throw new ProblemError("range-not-satisfiable", `The file has ${size} bytes`, { "content-range": `bytes */${size}` });
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  // HEAD: the same checks and headers, but not one byte read (Fastify would read and drop the whole stream).
  const opened = await space.openRead(path, start, request.method === "HEAD" ? 0 : length);
  if (!opened.ok) throw fileProblem(opened.reason);
  reply
    .code(range ? 206 : 200)
    .headers({
      ...options.headers,
      "content-type": options.type,
      "content-length": String(length),
      "content-disposition": contentDisposition(options.disposition, posix.basename(path.virtual)),
      "accept-ranges": "bytes",
      etag: validators.etag,
      ...(validators.lastModified !== null && { "last-modified": validators.lastModified }),
      "x-content-type-options": "nosniff",
      ...(range && { "content-range": `bytes ${range.start}-${range.end}/${size}` }),
    });
  return reply.send(opened.stream);
}
