import { chmod } from "node:fs/promises";
import type { FtpCommand } from "./command.js";
import { quotePath } from "../replies.js";
import { timeVal } from "../listing.js";
import { replyFileFailure, resolvePath } from "./paths.js";

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

export const rmd: FtpCommand = {
  names: ["RMD", "XRMD"],
  needsLogin: true,
  argument: "required",
  help: "RMD <directory>",
  async run(session, argument) {
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
    const path = await resolvePath(session, argument);
    if (!path) return;
    const found = await session.space!.stat(path);
    if (!found.ok) return replyFileFailure(session, found.reason);
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
    session.reply(213, String(found.entry.size));
  },
};

export const mdtm: FtpCommand = {
  names: ["MDTM"],
  needsLogin: true,
  argument: "required",
  help: "MDTM <file> (RFC 3659)",
  async run(session, argument) {
    const path = await resolvePath(session, argument);
    if (!path) return;
    const found = await session.space!.stat(path);
    if (!found.ok) return replyFileFailure(session, found.reason);
    session.reply(213, timeVal(found.entry.modified));
  },
};

/** SITE CHMOD within the space: only the permission bits (no setuid, setgid or sticky). */
export const site: FtpCommand = {
  names: ["SITE"],
  needsLogin: true,
  argument: "required",
  help: "SITE CHMOD <mode> <file> | SITE HELP",
  async run(session, argument) {
    const [sub = "", mode = "", ...rest] = argument.split(" ");
    if (sub.toUpperCase() === "HELP") return session.reply(214, "SITE CHMOD <octal mode> <file>");
    if (sub.toUpperCase() !== "CHMOD") return session.reply(504, `SITE ${sub} is not supported`);
    if (!/^[0-7]{1,4}$/.test(mode) || rest.length === 0) return session.reply(501, "Syntax: SITE CHMOD <octal mode> <file>");
    if (session.space!.readOnly) return session.reply(550, "Permission denied");
    const path = await resolvePath(session, rest.join(" "));
    if (!path) return;
    try {
      await chmod(path.real, parseInt(mode, 8) & 0o777);
      session.reply(200, "SITE CHMOD command ok");
    } catch {
      session.reply(550, "No such file or directory");
    }
  },
};
