import type { RegisteredCommand } from "../command.js";
import { ERR, RPL } from "../numerics.js";
import { commandTable } from "./index.js";

export const help: RegisteredCommand = {
  name: "HELP",
  minParams: 0,
  when: "registered",
  help: "HELP [<command>] — this help",
  run(connection, _user, params) {
    const subject = (params[0] ?? "").toUpperCase();
    if (subject === "") {
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
    connection.numeric(RPL.HELPSTART, subject, command.help);
    connection.numeric(RPL.ENDOFHELP, subject, "End of /HELP");
  },
};
