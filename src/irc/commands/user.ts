import type { AnytimeCommand } from "../command.js";
import { ERR } from "../numerics.js";
import { tryCompleteRegistration } from "../registration.js";
import { sanitizeUsername } from "../../core/chat/names.js";

export const user: AnytimeCommand = {
  name: "USER",
  minParams: 4,
  when: "any",
  help: "USER <username> 0 * :<realname> — identify yourself during registration",
  run(connection, params) {
    const pending = connection.pending;
    if (!pending || pending.username !== null) {
      connection.numeric(ERR.ALREADYREGISTERED, "You may not reregister");
      return;
    }
    // An empty realname (`USER u 0 * :`) is a missing parameter (modern.ircdocs.horse: 461).
    if (params[3] === "" || params[0] === "") {
      connection.numeric(ERR.NEEDMOREPARAMS, "USER", "Not enough parameters");
      return;
    }
    pending.username = sanitizeUsername(params[0]!, connection.context.config.irc.userLength);
    pending.realname = params[3]!;
    return tryCompleteRegistration(connection);
  },
};
