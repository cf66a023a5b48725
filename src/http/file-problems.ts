import type { FastifyBaseLogger } from "fastify";
import type { FileFailure, FileSpace } from "../core/files/file-space.js";
import type { JailedPath } from "../core/files/jail.js";
import { ProblemError, type ProblemReason } from "./problems.js";

/** The one table that turns a file-space refusal into its HTTP problem (FTP's twin: ftp/commands/paths.ts). */
const problems: Record<FileFailure, readonly [ProblemReason, string]> = {
  "invalid-name": ["invalid-path", "Paths are UTF-8 names separated by '/', without control characters"],
  "reserved-name": [
    "invalid-path",
    "A name in the path is reserved for uploads in progress (.upload- and 16 hex digits, or .<name>.upload- and 12, are the server's temporary files); choose another name",
  ],
  // Outside the space reads as "no such file": it reveals nothing about what is there.
  outside: ["not-found", "No such file or folder"],
  "not-found": ["not-found", "No such file or folder"],
  exists: ["file-exists", "Something already exists at that path"],
  "not-a-directory": ["not-a-folder", "A part of the path is a file, not a folder"],
  "is-a-directory": ["is-a-folder", "The path is a folder"],
  "not-empty": ["folder-not-empty", "The folder is not empty; delete it with recursive=true"],
  "read-only": ["forbidden", "The root folder cannot be changed"],
  quota: ["quota-exceeded", "The account's storage quota would be exceeded; nothing was stored"],
  "too-large": ["file-too-large", "The file is larger than this server accepts (files.maxFileBytes); nothing was stored"],
  "no-space": ["insufficient-storage", "The server's disk is full; nothing was stored"],
  interrupted: ["upload-interrupted", "The body ended before it was complete; nothing was stored"],
  "invalid-offset": ["range-not-satisfiable", "The range starts past the end of the file"],
  busy: ["file-busy", "Another upload is writing into that file; try again when it is done"],
  "into-itself": ["invalid-path", "A folder cannot be moved into itself"],
  "too-deep": ["invalid-path", "Moved there, a path inside the folder would be longer than the server's file system takes (4,095 bytes)"],
  io: ["internal", "The file could not be read or written"],
};

export function fileProblem(reason: FileFailure): ProblemError {
  const [problem, detail] = problems[reason];
  return new ProblemError(problem, detail);
}

/**
 * Whether `input` can only name a folder: it ends in "/" or "/." — as in POSIX, where
 * "notes.txt/" is no way to name the file notes.txt. The jail resolves such a path to the
 * name without its end (FTP's paths work that way), so the HTTP routes check it here.
 */
export function namesFolder(input: string): boolean {
  return /(^|\/)\.?$/.test(input);
}

/**
 * Resolves a user path in `space` (the jail), or throws its problem. An escape is logged.
 * A path that names a folder but leads to something else is refused as POSIX does (not-a-folder).
 */
export async function resolveOrThrow(space: FileSpace, input: string, log: FastifyBaseLogger, account: string): Promise<JailedPath> {
  const result = await space.resolve("/", input);
  if (!result.ok) {
    if (result.reason === "outside") log.warn({ account, path: input }, "http path outside the account's space refused");
    throw fileProblem(result.reason);
  }
  if (namesFolder(input)) {
    const found = await space.stat(result.path);
    if (found.ok && found.entry.type !== "dir") throw fileProblem("not-a-directory");
  }
  return result.path;
}

/**
 * Refuses to put a file (an upload, or a file moved) at a path the user wrote as a folder's
 * ("/photos/"): 409 is-a-folder when a folder is there, 400 invalid-path otherwise (no
 * file is made that the path did not name).
 */
export async function refuseFileAtFolderPath(space: FileSpace, input: string, path: JailedPath): Promise<void> {
  if (!namesFolder(input)) return;
  const found = await space.stat(path);
  if (found.ok && found.entry.type === "dir") throw fileProblem("is-a-directory");
  throw new ProblemError("invalid-path", "A path ending in '/' names a folder; a file's path does not end in '/'");
}
