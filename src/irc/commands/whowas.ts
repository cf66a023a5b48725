import type { RegisteredCommand } from "../command.js";
import { ERR, RPL } from "../numerics.js";

export const whowas: RegisteredCommand = {
  name: "WHOWAS",
  minParams: 1,
  when: "registered",
  help: "WHOWAS <nick> [<count>] — who had a nick that is gone (no count, 0 or a negative count: every entry)",
  run(connection, _user, params) {
    const nick = params[0]!;
    // A positive count limits the reply; none, zero or a negative count means every entry
    // (modern.ircdocs.horse: "otherwise a full search is done"), bounded by whowasLength.
    const asked = Number(params[1]);
    const count = Number.isInteger(asked) && asked > 0 ? asked : Infinity;
    const entries = connection.context.core.whowas(nick, count);
    if (entries.length === 0) connection.numeric(ERR.WASNOSUCHNICK, nick, "There was no such nickname");
    for (const entry of entries) {
      connection.numeric(RPL.WHOWASUSER, entry.nick, entry.username, entry.hostname, "*", entry.realname);
      connection.numeric(RPL.WHOISSERVER, entry.nick, connection.context.serverName, new Date(entry.leftAt).toUTCString());
    }
    connection.numeric(RPL.ENDOFWHOWAS, nick, "End of WHOWAS");
  },
};
