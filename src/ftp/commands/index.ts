import type { FtpCommand } from "./command.js";
import type { FtpSession } from "../ftp-session.js";
import { user, pass, acct, rein, quit } from "./login.js";
import { auth, pbsz, prot } from "./security.js";
import { cwd, cdup, pwd } from "./navigation.js";
import { mkd, rmd, dele, rnfr, rnto, size, mdtm, mfmt, site } from "./file-commands.js";
import { pasv, epsv, port, eprt } from "./data-setup.js";
import { retr, stor, appe, stou, rest, abor } from "./transfers.js";
import { list, nlst, mlsd, mlst, stat } from "./listings.js";
import { feat, opts, type, mode, stru, syst, noop, help, allo } from "./information.js";

const all: readonly FtpCommand[] = [
  user, pass, acct, rein, quit, auth, pbsz, prot,
  cwd, cdup, pwd, mkd, rmd, dele, rnfr, rnto, size, mdtm, mfmt, site,
  pasv, epsv, port, eprt, retr, stor, appe, stou, rest, abor,
  list, nlst, mlsd, mlst, stat, feat, opts, type, mode, stru, syst, noop, help, allo,
];

const table = new Map<string, FtpCommand>(all.flatMap((command) => command.names.map((name) => [name, command] as const)));

export function commandNames(): string[] {
  return [...table.keys()].sort();
}

/** The one-line usage of a verb, for HELP <verb>; undefined when unknown. */
export function commandHelp(verb: string): string | undefined {
  return table.get(verb)?.help;
}

/**
 * Commands a client may send while a transfer is running (RFC 959 lets ABOR, STAT and the like
 * through); QUIT and REIN wait for it to complete, then answer.
 */
const DURING_TRANSFER = new Set(["ABOR", "STAT", "NOOP", "QUIT", "REIN", "FEAT", "SYST", "PWD", "XPWD", "HELP"]);

/**
 * What may come between REST and the transfer it restarts: the transfer commands (which use or
 * drop the marker themselves) and what sets a transfer up (curl sends EPSV, TYPE I, SIZE, REST,
 * RETR; lftp and FileZilla PASV or EPSV, then REST, then RETR). RFC 3659 §5.3 has REST right before
 * its transfer, so any other command drops the marker: it must not shift a later, unrelated RETR.
 */
const KEEPS_RESTART_MARKER = new Set(["REST", "RETR", "STOR", "APPE", "STOU", "PASV", "EPSV", "PORT", "EPRT", "TYPE", "MODE", "STRU", "PBSZ", "PROT", "ALLO", "NOOP"]);

/** The one place that checks login, arguments and transfer state for every command. */
export function runFtpCommand(session: FtpSession, verb: string, argument: string): void | Promise<void> {
  if (!KEEPS_RESTART_MARKER.has(verb)) session.restOffset = 0;
  const command = table.get(verb);
  if (!command) return session.reply(500, `${verb.slice(0, 20)} not understood`);
  if (command.needsLogin && !session.loggedIn) return session.reply(530, "Please log in with USER and PASS");
  if (command.argument === "required" && argument.trim() === "") return session.reply(501, `${verb} needs an argument`);
  if (session.transfer && !DURING_TRANSFER.has(verb)) return session.reply(450, "A transfer is in progress; wait for it or ABOR");
  return command.run(session, command.argument === "none" ? "" : argument);
}
