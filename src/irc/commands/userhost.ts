import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";

export const userhost: RegisteredCommand = {
  name: "USERHOST",
  minParams: 1,
  when: "registered",
  help: "USERHOST <nick> [<nick>…] — user@host of up to five nicks",
  run(connection, _user, params) {
    const core = connection.context.core;
    const replies: string[] = [];
    for (const nick of params.slice(0, 5)) {
      const target = core.findUser(nick);
      if (target) replies.push(`${target.nick}${target.isOperator ? "*" : ""}=${target.away ? "-" : "+"}${target.username}@${target.hostname}`);
    }
    connection.numeric(RPL.USERHOST, replies.join(" "));
  },
};
