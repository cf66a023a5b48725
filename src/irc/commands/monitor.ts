import type { ChatUser } from "../../core/chat/user.js";
import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR, RPL } from "../numerics.js";
import { sendWordLists } from "../word-lists.js";
import { foldCase } from "../../core/chat/names.js";

/** Sends `items` as comma-separated lists of numeric `code`, as many lines as they need. */
function sendLists(connection: IrcConnection, code: string, items: readonly string[]): void {
  sendWordLists(connection, code, [], items, ",");
}

/** 730 for the nicks that are online (as nick!user@host), 731 for the others. */
function sendStatus(connection: IrcConnection, nicks: readonly string[]): void {
  const core = connection.context.core;
  const online: string[] = [];
  const offline: string[] = [];
  for (const nick of nicks) {
    const user: ChatUser | undefined = core.findUser(nick);
    if (user) online.push(user.hostmask);
    else offline.push(nick);
  }
  sendLists(connection, RPL.MONONLINE, online);
  sendLists(connection, RPL.MONOFFLINE, offline);
}

/** The nicks of a MONITOR list, each once (in the server's case mapping). */
function targets(param: string | undefined): string[] {
  const seen = new Set<string>();
  return (param ?? "").split(",").filter((nick) => {
    if (nick === "" || seen.has(foldCase(nick))) return false;
    seen.add(foldCase(nick));
    return true;
  });
}

/**
 * IRCv3 MONITOR: a watch list per connection (as in Ergo), told when a watched nick
 * comes online or goes offline. The list lives in the chat core (watchers by nick) and
 * the notifications come as `presence` events through the bus.
 */
export const monitor: RegisteredCommand = {
  name: "MONITOR",
  minParams: 1,
  when: "registered",
  help: "MONITOR {+|-} <nick>[,<nick>…] | C | L | S — be told when nicks come online or go offline",
  run(connection, _user, params) {
    const core = connection.context.core;
    const sub = params[0]!.toUpperCase();
    switch (sub) {
      case "+":
      case "-": {
        if (params[1] === undefined) {
          connection.numeric(ERR.NEEDMOREPARAMS, "MONITOR", "Not enough parameters");
          return;
        }
        const nicks = targets(params[1]);
        if (sub === "-") {
          core.watchers.unwatch(connection, nicks);
          return;
        }
        const max = connection.context.config.irc.maxMonitorEntries;
        const { refused } = core.watchers.watch(connection, nicks, max);
        const accepted = nicks.slice(0, nicks.length - refused.length).filter((nick) => core.watchers.isWatching(connection, nick));
        if (refused.length > 0) connection.numeric(ERR.MONLISTFULL, String(max), refused.join(","), "Monitor list is full.");
        sendStatus(connection, accepted);
        return;
      }
      case "C":
        core.watchers.unwatchAll(connection);
        return;
      case "L":
        sendLists(connection, RPL.MONLIST, core.watchers.watchList(connection));
        connection.numeric(RPL.ENDOFMONLIST, "End of MONITOR list");
        return;
      case "S":
        sendStatus(connection, core.watchers.watchList(connection));
        return;
      default:
        connection.numeric(ERR.UNKNOWNERROR, "MONITOR", `Unknown MONITOR subcommand: ${params[0]}`);
    }
  },
};
