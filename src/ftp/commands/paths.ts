import type { FileEntry, FileFailure } from "../../core/files/file-space.js";
import type { JailedPath } from "../../core/files/jail.js";
import type { FtpSession } from "../ftp-session.js";

/** The one table that turns a file-space refusal into its FTP reply. */
const replies: Record<FileFailure, readonly [number, string]> = {
  "invalid-name": [553, "File name not allowed"],
  "reserved-name": [553, "File name not allowed: reserved for uploads in progress"],
  outside: [550, "No such file or directory"],
  "not-found": [550, "No such file or directory"],
  exists: [550, "File exists"],
  "not-a-directory": [550, "Not a directory"],
  "is-a-directory": [550, "Is a directory"],
  "not-empty": [550, "Directory not empty"],
  "read-only": [550, "Permission denied"],
  quota: [552, "Quota exceeded: storage allocation exceeded"],
  "too-large": [552, "File too large: exceeds the maximum file size"],
  "no-space": [452, "Insufficient storage space on the server"],
  interrupted: [426, "Connection closed; transfer aborted"],
  "invalid-offset": [554, "Restart position is past the end of the file"],
  busy: [450, "File busy: another upload to it is in progress"],
  "into-itself": [553, "A folder cannot be moved into itself"],
  "too-deep": [553, "Moved there, a path inside the folder would be too long"],
  io: [451, "Requested action aborted: local error in processing"],
};

export function fileFailureReply(reason: FileFailure): readonly [number, string] {
  return replies[reason];
}

export function replyFileFailure(session: FtpSession, reason: FileFailure): void {
  const [code, text] = replies[reason];
  session.reply(code, text);
}

/**
 * Resolves a command's path argument in the session's space, answering the
 * failure itself. Paths outside the jail read as "no such file", revealing nothing.
 */
export async function resolvePath(session: FtpSession, argument: string): Promise<JailedPath | null> {
  const result = await session.space!.resolve(session.cwd, argument === "" ? "." : argument);
  if (!result.ok) {
    refusePath(session, argument, result.reason);
    return null;
  }
  return result.path;
}

/**
 * Resolves a path that must name a file or a folder, with what is there, answering any
 * refusal itself. A symbolic link (never followed by any command: it may only be deleted),
 * a FIFO or a device gets 550, as for SIZE and RETR.
 */
export async function resolveFileOrFolder(session: FtpSession, argument: string): Promise<{ path: JailedPath; entry: FileEntry } | null> {
  const path = await resolvePath(session, argument);
  if (!path) return null;
  const found = await session.space!.stat(path);
  if (!found.ok) {
    replyFileFailure(session, found.reason);
    return null;
  }
  if (found.entry.type === "other") {
    session.reply(550, "Not a regular file or folder");
    return null;
  }
  return { path, entry: found.entry };
}

/** Answers a path's refusal; one outside the space is logged (an attempt to leave the jail, or a bad link in it). */
export function refusePath(session: FtpSession, argument: string, reason: FileFailure): void {
  if (reason === "outside") session.context.log.warn({ address: session.address, account: session.account?.name, path: argument }, "ftp path outside the account's space refused");
  replyFileFailure(session, reason);
}
