import type { RegisteredCommand } from "../command.js";
import { formatLine } from "../format.js";
import type { IrcConnection } from "../connection.js";

export const setname: RegisteredCommand = {
  name: "SETNAME",
  minParams: 1,
  when: "registered",
  help: "SETNAME :<realname> — change your real name (IRCv3 setname)",
  run(connection, user, params) {
    const realname = params[0]!;
    // Refused as USER refuses it (461 there): an empty realname is none, and WHOIS would show `* :`.
    if (realname === "") return refuse(connection, "Realname may not be empty");
    // In UTF-8 bytes, as the limit is counted wherever a realname is cut (see clip).
    if (Buffer.byteLength(realname) > connection.context.config.irc.realnameLength) return refuse(connection, "Realname is too long");
    connection.context.core.setRealname(user, realname);
  },
};

function refuse(connection: IrcConnection, reason: string): void {
  connection.sendLine(formatLine(connection.context.serverName, "FAIL", ["SETNAME", "INVALID_REALNAME", reason]));
}
