import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import { quotePath } from "../replies.js";
import { resolvePath } from "./paths.js";

async function changeDirectory(session: FtpSession, target: string): Promise<void> {
  const path = await resolvePath(session, target);
  if (!path) return;
  const found = await session.space!.stat(path);
  if (!found.ok || found.entry.type !== "dir") return session.reply(550, "No such directory");
  session.cwd = path.virtual;
  session.reply(250, `Directory changed to ${path.virtual}`);
}

export const cwd: FtpCommand = {
  names: ["CWD", "XCWD"],
  needsLogin: true,
  argument: "required",
  help: "CWD <directory>",
  run: (session, argument) => changeDirectory(session, argument),
};

export const cdup: FtpCommand = {
  names: ["CDUP", "XCUP"],
  needsLogin: true,
  argument: "none",
  help: "CDUP",
  run: (session) => changeDirectory(session, ".."),
};

export const pwd: FtpCommand = {
  names: ["PWD", "XPWD"],
  needsLogin: true,
  argument: "none",
  help: "PWD",
  run: (session) => session.reply(257, `${quotePath(session.cwd)} is the current directory`),
};
