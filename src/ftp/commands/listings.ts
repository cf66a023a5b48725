import { once } from "node:events";
import type { Socket } from "node:net";
import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import type { FileEntry } from "../../core/files/file-space.js";
import { factsLine, isInternal, listLine } from "../listing.js";
import { replyFileFailure, resolvePath } from "./paths.js";
import { runTransfer } from "./transfer-runner.js";

/** `LIST -la dir`: options as ls takes them (only -a matters), then the path. */
function parseListArgument(argument: string): { all: boolean; path: string } {
  let all = false;
  const words = argument.split(" ");
  while (words[0]?.startsWith("-") && words[0].length > 1) all = words.shift()!.includes("a") || all;
  return { all, path: words.join(" ") };
}

/** Entries of a directory, or the one entry of a file, as LIST/NLST/MLSD show them. */
async function entriesFor(session: FtpSession, argument: string, showHidden: boolean): Promise<{ entries: FileEntry[]; isDirectory: boolean } | null> {
  const path = await resolvePath(session, argument);
  if (!path) return null;
  const found = await session.space!.stat(path);
  if (!found.ok) {
    replyFileFailure(session, found.reason);
    return null;
  }
  if (found.entry.type !== "dir") return { entries: [found.entry], isDirectory: false };
  const listed = await session.space!.list(path);
  if (!listed.ok) {
    replyFileFailure(session, listed.reason);
    return null;
  }
  // Dot files only with -a (as ls does); our in-progress upload files never.
  return { entries: listed.entries.filter((e) => !isInternal(e.name) && (showHidden || !e.name.startsWith("."))), isDirectory: true };
}

async function sendLines(socket: Socket, lines: readonly string[]): Promise<{ code: number; text: string }> {
  const text = lines.map((line) => `${line}\r\n`).join("");
  if (!socket.write(text)) await once(socket, "drain");
  socket.resume();
  socket.end();
  await Promise.race([once(socket, "close"), new Promise((resolve) => setTimeout(resolve, 5000))]);
  return { code: 226, text: "Transfer complete" };
}

function listingCommand(name: "LIST" | "NLST", line: (entry: FileEntry, now: number) => string): FtpCommand {
  return {
    names: [name],
    needsLogin: true,
    argument: "optional",
    help: `${name} [-a] [path]`,
    async run(session, argument) {
      const { all, path } = parseListArgument(argument);
      const listed = await entriesFor(session, path, all);
      if (!listed) return session.closeData();
      const now = Date.now();
      await runTransfer(session, "file list", (socket) => sendLines(socket, listed.entries.map((entry) => line(entry, now))));
    },
  };
}

export const list = listingCommand("LIST", listLine);
export const nlst = listingCommand("NLST", (entry) => entry.name);

export const mlsd: FtpCommand = {
  names: ["MLSD"],
  needsLogin: true,
  argument: "optional",
  help: "MLSD [dir] (RFC 3659)",
  async run(session, argument) {
    const listed = await entriesFor(session, argument, true);
    if (!listed) return session.closeData();
    if (!listed.isDirectory) {
      session.closeData();
      return session.reply(501, "MLSD needs a directory");
    }
    const readOnly = session.space!.readOnly;
    await runTransfer(session, "MLSD", (socket) => sendLines(socket, listed.entries.map((entry) => factsLine(entry, entry.type === "dir" ? "dir" : "file", entry.name, readOnly))));
  },
};

export const mlst: FtpCommand = {
  names: ["MLST"],
  needsLogin: true,
  argument: "optional",
  help: "MLST [path] (RFC 3659)",
  async run(session, argument) {
    const path = await resolvePath(session, argument);
    if (!path) return;
    const found = await session.space!.stat(path);
    if (!found.ok) return replyFileFailure(session, found.reason);
    const kind = found.entry.type === "dir" ? "dir" : "file";
    session.reply(250, [`Listing ${path.virtual}`, factsLine(found.entry, kind, path.virtual, session.space!.readOnly), "End"]);
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
        session.transfer ? `Transfer in progress: ${session.transfer.description}` : "No data connection",
        "End of status",
      ]);
    }
    if (!session.loggedIn) return session.reply(530, "Please log in with USER and PASS");
    const { all, path } = parseListArgument(argument);
    const listed = await entriesFor(session, path, all);
    if (!listed) return;
    const now = Date.now();
    session.reply(213, ["Status follows:", ...listed.entries.map((entry) => listLine(entry, now)), "End of status"]);
  },
};
