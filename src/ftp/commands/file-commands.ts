import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import type { JailedPath } from "../../core/files/jail.js";
import { quotePath } from "../replies.js";
import { timeVal } from "../listing.js";
import { replyFileFailure, resolveFileOrFolder, resolvePath } from "./paths.js";
import { networkAsciiLength } from "../ascii.js";

/** The largest file whose SIZE in TYPE A is counted (by reading it through); see size. */
const ASCII_SIZE_LIMIT = 1024 * 1024;

export const mkd: FtpCommand = {
  names: ["MKD", "XMKD"],
  needsLogin: true,
  argument: "required",
  help: "MKD <directory>",
  async run(session, argument) {
    const path = await resolvePath(session, argument);
    if (!path) return;
    const result = await session.space!.makeDirectory(path);
    if (!result.ok) return replyFileFailure(session, result.reason);
    session.reply(257, `${quotePath(path.virtual)} created`);
  },
};

/**
 * Whether the last part of `argument` is "." or ".." ("RMD .", "./", "a/.", ".."): rmdir(2)
 * refuses such a path (EINVAL), and vsftpd answers 550. The jail would resolve it first and
 * remove the current folder (or its parent) instead.
 */
function endsInDotOrDotDot(argument: string): boolean {
  const last = argument.replace(/\/+$/, "").split("/").pop();
  return last === "." || last === "..";
}

export const rmd: FtpCommand = {
  names: ["RMD", "XRMD"],
  needsLogin: true,
  argument: "required",
  help: "RMD <directory>",
  async run(session, argument) {
    if (endsInDotOrDotDot(argument)) return session.reply(550, 'A folder named by "." or ".." is not removed; name it by its own name');
    const path = await resolvePath(session, argument);
    if (!path) return;
    const result = await session.space!.removeDirectory(path);
    if (!result.ok) return replyFileFailure(session, result.reason);
    session.reply(250, "Directory removed");
  },
};

export const dele: FtpCommand = {
  names: ["DELE"],
  needsLogin: true,
  argument: "required",
  help: "DELE <file>",
  async run(session, argument) {
    const path = await resolvePath(session, argument);
    if (!path) return;
    const result = await session.space!.delete(path);
    if (!result.ok) return replyFileFailure(session, result.reason);
    session.reply(250, "File deleted");
  },
};

export const rnfr: FtpCommand = {
  names: ["RNFR"],
  needsLogin: true,
  argument: "required",
  help: "RNFR <old name>",
  async run(session, argument) {
    const found = await resolveFileOrFolder(session, argument);
    if (!found) return;
    const { path } = found;
    // The space's root is never renamed (MLST's perm for it has no "f").
    if (path.virtual === "/") return replyFileFailure(session, "read-only");
    session.renameFrom = path;
    session.reply(350, "Ready for RNTO");
  },
};

export const rnto: FtpCommand = {
  names: ["RNTO"],
  needsLogin: true,
  argument: "required",
  help: "RNTO <new name>",
  async run(session, argument) {
    const from = session.renameFrom;
    session.renameFrom = null;
    if (!from) return session.reply(503, "RNFR first");
    const to = await resolvePath(session, argument);
    if (!to) return;
    const result = await session.space!.rename(from, to);
    if (!result.ok) return replyFileFailure(session, result.reason);
    session.reply(250, "Rename successful");
  },
};

export const size: FtpCommand = {
  names: ["SIZE"],
  needsLogin: true,
  argument: "required",
  help: "SIZE <file> (RFC 3659)",
  async run(session, argument) {
    const path = await resolvePath(session, argument);
    if (!path) return;
    const found = await session.space!.stat(path);
    if (!found.ok) return replyFileFailure(session, found.reason);
    if (found.entry.type !== "file") return session.reply(550, "Not a regular file");
    if (session.type === "I") return session.reply(213, String(found.entry.size));
    // TYPE A sends a CR before each bare LF: the size on disk is not what RETR would send (RFC 3659 §4).
    // Counting means reading the file, so only small ones are counted; larger ones are refused, as ProFTPD does.
    const opened = await session.space!.openFile(path, 0);
    if (!opened.ok) return replyFileFailure(session, opened.reason);
    if (opened.file.size > ASCII_SIZE_LIMIT) {
      await opened.file.close();
      return session.reply(550, "SIZE not allowed in ASCII mode for files over 1 MiB; use TYPE I");
    }
    session.reply(213, String(await networkAsciiLength(opened.file.stream())));
  },
};

export const mdtm: FtpCommand = {
  names: ["MDTM"],
  needsLogin: true,
  argument: "required",
  help: "MDTM <file> (RFC 3659)",
  async run(session, argument) {
    const found = await resolveFileOrFolder(session, argument);
    if (!found) return;
    session.reply(213, timeVal(found.entry.modified));
  },
};

/**
 * RFC 3659 time-val, `YYYYMMDDHHMMSS[.sss]` in UTC, as a Date (seconds may be left out, as
 * some clients do, but then no fraction: `YYYYMMDDHHMM.5` is no time); null when malformed
 * or not a real date.
 */
export function parseTimeVal(text: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? "0")) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? "").padEnd(3, "0"));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  // Date.UTC rolls 20240231 over to March and 25:00 to the next day: refuse instead of setting a time nobody asked for.
  const fields = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  return fields.every((value, i) => value === [year, month, day, hour, minute, second][i]) ? date : null;
}

/** The time the file system kept, which may not be the one asked for (see FileSpace.setModified); null once refused. */
async function setModified(session: FtpSession, pathText: string, when: Date): Promise<{ path: JailedPath; modified: Date } | null> {
  if (session.space!.readOnly) {
    session.reply(550, "Permission denied");
    return null;
  }
  const found = await resolveFileOrFolder(session, pathText);
  if (!found) return null;
  const { path } = found;
  const result = await session.space!.setModified(path, when);
  if (!result.ok) {
    replyFileFailure(session, result.reason);
    return null;
  }
  return { path, modified: result.modified };
}

/**
 * MFMT (draft-somers-ftp-mfxx): sets a file's modification time; lftp and FileZilla use it to keep times when uploading.
 * The reply gives the time the file now has, as the draft asks, not the one requested: a file system clamps
 * a time outside its range (`MFMT 18500101000000` keeps 1901-12-13 on ext4), and MDTM must then agree.
 */
export const mfmt: FtpCommand = {
  names: ["MFMT"],
  needsLogin: true,
  argument: "required",
  help: "MFMT <YYYYMMDDHHMMSS> <path>",
  async run(session, argument) {
    const space = argument.indexOf(" ");
    const when = space > 0 ? parseTimeVal(argument.slice(0, space)) : null;
    const pathText = space > 0 ? argument.slice(space + 1) : "";
    if (!when || pathText === "") return session.reply(501, "Syntax: MFMT YYYYMMDDHHMMSS path");
    const set = await setModified(session, pathText, when);
    if (set) session.reply(213, `Modify=${timeVal(set.modified)}; ${set.path.virtual}`);
  },
};

/**
 * SITE UTIME in both forms clients send: `SITE UTIME YYYYMMDDhhmm[ss] path` and
 * `SITE UTIME path atime mtime ctime UTC` (the ProFTPD / Pure-FTPd form, lftp's
 * ftp:use-site-utime2). Only the modification time is applied.
 */
async function siteUtime(session: FtpSession, words: readonly string[]): Promise<void> {
  const syntax = "Syntax: SITE UTIME YYYYMMDDhhmmss path | SITE UTIME path atime mtime ctime UTC";
  let when: Date | null = null;
  let pathText = "";
  if (words.length >= 5 && words[words.length - 1]!.toUpperCase() === "UTC") {
    when = parseTimeVal(words[words.length - 3]!);
    pathText = words.slice(0, -4).join(" ");
  } else if (words.length >= 2) {
    when = parseTimeVal(words[0]!);
    pathText = words.slice(1).join(" ");
  }
  if (!when || pathText === "") return session.reply(501, syntax);
  const set = await setModified(session, pathText, when);
  // The time kept, as MFMT gives it: it may not be the one asked for.
  if (set) session.reply(200, `SITE UTIME command ok; modify=${timeVal(set.modified)}`);
}

async function siteChmod(session: FtpSession, words: readonly string[]): Promise<void> {
  const [mode = "", ...rest] = words;
  if (!/^[0-7]{1,4}$/.test(mode) || rest.length === 0) return session.reply(501, "Syntax: SITE CHMOD <octal mode> <file>");
  if (session.space!.readOnly) return session.reply(550, "Permission denied");
  const found = await resolveFileOrFolder(session, rest.join(" "));
  if (!found) return;
  const result = await session.space!.setMode(found.path, parseInt(mode, 8));
  if (!result.ok) return replyFileFailure(session, result.reason);
  session.reply(200, "SITE CHMOD command ok");
}

/** SITE CHMOD (permission bits only) and SITE UTIME, within the space. */
export const site: FtpCommand = {
  names: ["SITE"],
  needsLogin: true,
  argument: "required",
  help: "SITE CHMOD <mode> <file> | SITE UTIME <time> <file> | SITE HELP",
  async run(session, argument) {
    const [sub = "", ...words] = argument.split(" ");
    switch (sub.toUpperCase()) {
      case "HELP":
        return session.reply(214, ["SITE commands:", "CHMOD <octal mode> <file>", "UTIME <YYYYMMDDhhmmss> <file>", "UTIME <file> <atime> <mtime> <ctime> UTC", "End"]);
      case "CHMOD":
        return siteChmod(session, words);
      case "UTIME":
        return siteUtime(session, words);
      default:
        return session.reply(504, `SITE ${sub.slice(0, 20)} is not supported`);
    }
  },
};
