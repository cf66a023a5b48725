import { posix } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Socket } from "node:net";
import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import type { FileEntry } from "../../core/files/file-space.js";
import { factsLine, isInternal, listLine } from "../listing.js";
import type { JailedPath } from "../../core/files/jail.js";
import { replyFileFailure, resolveFileOrFolder } from "./paths.js";
import { runTransfer } from "./transfer-runner.js";
import { endDataConnection } from "../data-channel.js";
import { globMatcher, hasWildcard } from "../glob.js";

function hasControlCharacters(name: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(name);
}

/** `LIST -la dir`: options as ls takes them (accepted and ignored, see folderEntries), then the path. */
export function parseListArgument(argument: string): string {
  const words = argument.split(" ");
  while (words[0]?.startsWith("-") && words[0].length > 1) words.shift();
  return words.join(" ");
}

/** What a listing command shows: entries, and what NLST puts before each name so a client can RETR it. */
interface Listed {
  readonly entries: FileEntry[];
  readonly isDirectory: boolean;
  readonly path: JailedPath;
  /** "docs/" for `NLST docs` (vsftpd's NLST names "docs/a.txt"); empty for the current folder, whose names are usable as they are. */
  readonly prefix: string;
}

/**
 * The names of a folder that listings show. Dot files are listed by every listing command,
 * with or without -a: MLSD shows them (RFC 3659 lists everything), and a LIST that hid them
 * made clients that list with LIST (lftp with ftp:use-mlsd off, older clients) miss whole
 * hidden directories when mirroring, and fail "rm -r" with "Directory not empty". Our
 * in-progress uploads never. Names with control characters (made by something other than
 * FTP) are left out too: no FTP command can name them, and a CR LF in one would forge extra
 * lines in the listing.
 */
async function folderEntries(session: FtpSession, path: JailedPath): Promise<FileEntry[] | null> {
  const listed = await session.space!.list(path);
  if (!listed.ok) {
    replyFileFailure(session, listed.reason);
    return null;
  }
  return listed.entries.filter((e) => !isInternal(e.name) && !hasControlCharacters(e.name));
}

/** `given` (the folder at virtual path `folder`, as the client wrote it) as the start of the names in it; nothing for the current folder. */
function prefixFor(session: FtpSession, folder: string, given: string): string {
  if (folder === session.cwd || given === "") return "";
  return given.endsWith("/") ? given : `${given}/`;
}

/**
 * Whether `argument` names something as it is written: a name with `*` in it that is there
 * (made by another client) is listed as itself, not taken for a pattern, as vsftpd does.
 */
async function existsAsWritten(session: FtpSession, argument: string): Promise<boolean> {
  const resolved = await session.space!.resolve(session.cwd, argument);
  return resolved.ok && (await session.space!.stat(resolved.path)).ok;
}

/**
 * Entries of a directory, or the one entry of a file, as LIST/NLST/MLSD/STAT show them; a link
 * named is 550, never followed. With `patterns` (LIST, NLST, STAT; not MLSD, which RFC 3659
 * gives a folder), `*` and `?` in the last part of the path pick names in the folder before it.
 */
async function entriesFor(session: FtpSession, argument: string, patterns: boolean): Promise<Listed | null> {
  const slash = argument.lastIndexOf("/");
  const last = argument.slice(slash + 1);
  if (patterns && hasWildcard(last) && !(await existsAsWritten(session, argument))) return matchingEntries(session, argument.slice(0, slash + 1), last);
  const found = await resolveFileOrFolder(session, argument);
  if (!found) return null;
  const { path, entry } = found;
  if (entry.type !== "dir") return { entries: [entry], isDirectory: false, path, prefix: prefixFor(session, posix.dirname(path.virtual), argument.slice(0, slash + 1)) };
  const entries = await folderEntries(session, path);
  return entries && { entries, isDirectory: true, path, prefix: prefixFor(session, path.virtual, argument) };
}

/**
 * The names in `folder` (resolved, and jailed, as any path is) that `pattern` matches. None is a
 * listing with nothing in it (226), as vsftpd answers; a folder that is not there is 550.
 */
async function matchingEntries(session: FtpSession, folder: string, pattern: string): Promise<Listed | null> {
  const found = await resolveFileOrFolder(session, folder);
  if (!found) return null;
  if (found.entry.type !== "dir") {
    replyFileFailure(session, "not-a-directory");
    return null;
  }
  const entries = await folderEntries(session, found.path);
  const matches = globMatcher(pattern);
  return entries && { entries: entries.filter((entry) => matches(entry.name)), isDirectory: true, path: found.path, prefix: prefixFor(session, found.path.virtual, folder) };
}

async function sendLines(session: FtpSession, socket: Socket, lines: readonly string[]): Promise<{ code: number; text: string }> {
  const bytes = Buffer.from(lines.map((line) => `${line}\r\n`).join(""));
  session.context.traffic.listings.bytes += bytes.length;
  // pipeline, not write + once("drain"): a socket destroyed by ABOR never emits "drain",
  // and the listing (and with it the session, answering 450 to everything) would wait forever.
  await pipeline(Readable.from([bytes]), socket, { end: false });
  await endDataConnection(socket);
  return { code: 226, text: "Transfer complete" };
}

function listingCommand(name: "LIST" | "NLST", line: (entry: FileEntry, now: number, prefix: string) => string): FtpCommand {
  return {
    names: [name],
    needsLogin: true,
    argument: "optional",
    help: `${name} [-a] [path or pattern]`,
    async run(session, argument) {
      const listed = await entriesFor(session, parseListArgument(argument), true);
      if (!listed) return session.closeData();
      const now = Date.now();
      await runTransfer(session, session.context.traffic.listings, "file list", (socket) => sendLines(session, socket, listed.entries.map((entry) => line(entry, now, listed.prefix))));
    },
  };
}

/** LIST's lines name entries alone, as `ls -l docs` does; NLST's are paths a client can RETR (vsftpd's rule). */
export const list = listingCommand("LIST", listLine);
export const nlst = listingCommand("NLST", (entry, _now, prefix) => prefix + entry.name);

/**
 * The entries that are neither files nor folders (links, mostly) which DELE may remove: all but
 * links leading out of the space, which the jail refuses for every command. Such entries are rare,
 * so checking each one costs a listing next to nothing.
 */
async function removableOthers(session: FtpSession, folder: JailedPath, entries: readonly FileEntry[]): Promise<Set<string>> {
  const removable = new Set<string>();
  for (const entry of entries) {
    if (entry.type === "other" && (await session.space!.resolve(folder.virtual, entry.name)).ok) removable.add(entry.name);
  }
  return removable;
}

export const mlsd: FtpCommand = {
  names: ["MLSD"],
  needsLogin: true,
  argument: "optional",
  help: "MLSD [dir] (RFC 3659)",
  async run(session, argument) {
    const listed = await entriesFor(session, argument, false);
    if (!listed) return session.closeData();
    if (!listed.isDirectory) {
      session.closeData();
      return session.reply(501, "MLSD needs a directory");
    }
    const readOnly = session.space!.readOnly;
    const removable = readOnly ? new Set<string>() : await removableOthers(session, listed.path, listed.entries);
    await runTransfer(session, session.context.traffic.listings, "MLSD", (socket) =>
      sendLines(
        session,
        socket,
        listed.entries.map((entry) => factsLine(entry, entry.type === "dir" ? "dir" : "file", entry.name, readOnly, session.mlstFacts, removable.has(entry.name))),
      ),
    );
  },
};

export const mlst: FtpCommand = {
  names: ["MLST"],
  needsLogin: true,
  argument: "optional",
  help: "MLST [path] (RFC 3659)",
  async run(session, argument) {
    const found = await resolveFileOrFolder(session, argument);
    if (!found) return;
    const { path } = found;
    const kind = found.entry.type === "dir" ? "dir" : "file";
    session.reply(250, [`Listing ${path.virtual}`, factsLine(found.entry, kind, path.virtual, session.space!.readOnly, session.mlstFacts), "End"]);
  },
};

export const stat: FtpCommand = {
  names: ["STAT"],
  needsLogin: false,
  argument: "optional",
  help: "STAT [path]",
  async run(session, argument) {
    if (argument === "") {
      const who = session.account ? `Logged in as ${session.account.name}` : session.anonymous ? "Logged in anonymously" : "Not logged in";
      return session.reply(211, [
        "CmyMessage FTP server status:",
        `Connected from ${session.address}`,
        who,
        `TYPE: ${session.type === "I" ? "BINARY" : "ASCII"}, STRUcture: File, MODE: Stream`,
        `Control connection ${session.secure ? "protected by TLS" : "in clear text"}; data ${session.protectData ? "protected" : "in clear text"}`,
        session.transfer ? `Transfer in progress: ${session.transfer.description}` : (session.data?.status ?? "No data connection"),
        "End of status",
      ]);
    }
    if (!session.loggedIn) return session.reply(530, "Please log in with USER and PASS");
    const listed = await entriesFor(session, parseListArgument(argument), true);
    if (!listed) return;
    const now = Date.now();
    session.reply(213, ["Status follows:", ...listed.entries.map((entry) => listLine(entry, now)), "End of status"]);
  },
};
