import type { RegisteredCommand } from "../command.js";
import { formatLine } from "../format.js";

export const setname: RegisteredCommand = {
  name: "SETNAME",
  minParams: 1,
  when: "registered",
  help: "SETNAME :<realname> — change your real name (IRCv3 setname)",
  run(connection, user, params) {
    const realname = params[0]!;
    // In UTF-8 bytes, as the limit is counted wherever a realname is cut (see clip).
    if (Buffer.byteLength(realname) > connection.context.config.irc.realnameLength) {
      connection.sendLine(formatLine(connection.context.serverName, "FAIL", ["SETNAME", "INVALID_REALNAME", "Realname is too long"]));
      return;
    }
    connection.context.core.setRealname(user, realname);
  },
};
