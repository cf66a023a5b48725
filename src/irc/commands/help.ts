import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR, RPL } from "../numerics.js";
import { commandTable } from "./index.js";

/**
 * HELP [<subject>] as modern.ircdocs.horse describes it: 704 RPL_HELPSTART, 705
 * RPL_HELPTXT lines, 706 RPL_ENDOFHELP, each with the subject; 524 for an unknown one.
 * Every command's entry comes from its own `help` line ("syntax — what it does").
 */
function answer(connection: IrcConnection, params: readonly string[]): void {
  const subject = (params[0] ?? "").trim().toUpperCase();
  if (subject === "" || subject === "*") {
    connection.numeric(RPL.HELPSTART, "*", "CmyMessage IRC commands (HELP <command> for details):");
    const names = [...commandTable.keys()].sort();
    for (let i = 0; i < names.length; i += 8) connection.numeric(RPL.HELPTXT, "*", names.slice(i, i + 8).join(" "));
    connection.numeric(RPL.ENDOFHELP, "*", "End of /HELP");
    return;
  }
  const command = commandTable.get(subject);
  if (!command) {
    connection.numeric(ERR.HELPNOTFOUND, subject, "No help available on this topic");
    return;
  }
  const [syntax = command.help, description] = command.help.split(" — ");
  connection.numeric(RPL.HELPSTART, subject, syntax);
  if (description !== undefined) connection.numeric(RPL.HELPTXT, subject, description);
  connection.numeric(RPL.ENDOFHELP, subject, "End of /HELP");
}

export const help: RegisteredCommand = {
  name: "HELP",
  minParams: 0,
  when: "registered",
  help: "HELP [<command>] — how to use a command, or the list of commands",
  run: (connection, _user, params) => answer(connection, params),
};

/** HELPOP, the older name some clients (and InspIRCd, UnrealIRCd) use for HELP. */
export const helpop: RegisteredCommand = {
  name: "HELPOP",
  minParams: 0,
  when: "registered",
  help: "HELPOP [<command>] — the same as HELP",
  run: (connection, _user, params) => answer(connection, params),
};
