import type { RegisteredCommand } from "../command.js";
import { ERR, RPL } from "../numerics.js";
import { sendFromSelf } from "../replies.js";
import { maskMatches } from "../../core/chat/mask.js";
import { verifyPassword } from "../../auth/passwords.js";

/** Failed OPER attempts a connection may make before it is closed. */
const MAX_FAILED_ATTEMPTS = 3;
const failures = new WeakMap<object, number>();

export const oper: RegisteredCommand = {
  name: "OPER",
  minParams: 2,
  when: "registered",
  help: "OPER <name> <password> — become an IRC operator",
  async run(connection, user, params) {
    const [name, password] = [params[0]!, params[1]!];
    const operator = connection.context.config.irc.operators.find((o) => o.name === name);
    // Verify even for unknown names so the reply time does not tell which names exist.
    const valid = await verifyPassword(operator?.passwordHash, password);
    if (connection.closed) return;
    if (!operator || !valid) {
      const count = (failures.get(connection) ?? 0) + 1;
      failures.set(connection, count);
      connection.context.log.warn({ address: connection.address, nick: user.nick, operator: name }, "failed OPER attempt");
      connection.numeric(ERR.PASSWDMISMATCH, "Password incorrect");
      if (count >= MAX_FAILED_ATTEMPTS) connection.close("Too many failed OPER attempts");
      return;
    }
    const [, hostPart = "*"] = operator.hostMask.split("@");
    if (!maskMatches(operator.hostMask, `${user.username}@${user.hostname}`) && !maskMatches(hostPart, user.address)) {
      connection.numeric(ERR.NOOPERHOST, "No O-lines for your host");
      return;
    }
    user.isOperator = true;
    connection.context.core.userModesChanged(user);
    connection.context.log.info({ address: connection.address, nick: user.nick, operator: name }, "operator logged in");
    connection.numeric(RPL.YOUREOPER, "You are now an IRC operator");
    sendFromSelf(connection, user, "MODE", [user.nick, "+o"]);
  },
};
