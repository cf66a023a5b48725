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

function hasControlCharacters(name: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(name);
}

/** `LIST -la dir`: options as ls takes them (accepted and ignored, see entriesFor), then the path. */
export function parseListArgument(argument: string): string {
  const words = argument.split(" ");
  while (words[0]?.startsWith("-") && words[0].length > 1) words.shift();
  return words.join(" ");
}

/** Entries of a directory, or the one entry of a file, as LIST/NLST/MLSD show them; a link named is 550, never followed. */
async function entriesFor(session: FtpSession, argument: string): Promise<{ entries: FileEntry[]; isDirectory: boolean; path: JailedPath } | null> {
  const found = await resolveFileOrFolder(session, argument);
  if (!found) return null;
  const { path } = found;
  if (found.entry.type !== "dir") return { entries: [found.entry], isDirectory: false, path };
  const listed = await session.space!.list(path);
  if (!listed.ok) {
    replyFileFailure(session, listed.reason);
    return null;
  }
  // Dot files are listed by every listing command, with or without -a: MLSD shows them
  // (RFC 3659 lists everything), and a LIST that hid them made clients that list with
  // LIST (lftp with ftp:use-mlsd off, older clients) miss whole hidden directories when
  // mirroring, and fail "rm -r" with "Directory not empty". Our in-progress uploads never.
  // Names with control characters (made by something other than FTP) are left out too: no
  // FTP command can name them, and a CR LF in one would forge extra lines in the listing.
  return { entries: listed.entries.filter((e) => !isInternal(e.name) && !hasControlCharacters(e.name)), isDirectory: true, path };
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

function listingCommand(name: "LIST" | "NLST", line: (entry: FileEntry, now: number) => string): FtpCommand {
  return {
    names: [name],
    needsLogin: true,
    argument: "optional",
    help: `${name} [-a] [path]`,
    async run(session, argument) {
      const listed = await entriesFor(session, parseListArgument(argument));
      if (!listed) return session.closeData();
      const now = Date.now();
      await runTransfer(session, session.context.traffic.listings, "file list", (socket) => sendLines(session, socket, listed.entries.map((entry) => line(entry, now))));
    },
  };
}

export const list = listingCommand("LIST", listLine);
export const nlst = listingCommand("NLST", (entry) => entry.name);

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
    const listed = await entriesFor(session, argument);
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
    const listed = await entriesFor(session, parseListArgument(argument));
    if (!listed) return;
    const now = Date.now();
    session.reply(213, ["Status follows:", ...listed.entries.map((entry) => listLine(entry, now)), "End of status"]);
  },
};
