import type { IrcConnection } from "./connection.js";
import type { IrcMessage } from "./message.js";
import { ERR } from "./numerics.js";
import { commandTable } from "./commands/index.js";
import { interceptBatchLine } from "./multiline-input.js";

/**
 * The one place that checks registration, parameter count and operator rights
 * for every command, so each handler holds only its own logic.
 */
export function runCommand(connection: IrcConnection, message: IrcMessage): void | Promise<void> {
  // While a multiline batch is open, its lines are gathered, not run (multiline-input.ts).
  const batch = connection.clientBatch;
  if (batch !== null && interceptBatchLine(connection, batch, message)) return;
  const command = commandTable.get(message.command);
  if (!command) {
    if (connection.registered) connection.numeric(ERR.UNKNOWNCOMMAND, message.command, "Unknown command");
    else connection.numeric(ERR.NOTREGISTERED, "You have not registered");
    return;
  }
  if (message.params.length < command.minParams) {
    connection.numeric(ERR.NEEDMOREPARAMS, command.name, "Not enough parameters");
    return;
  }
  if (command.when === "any") return command.run(connection, message.params, message);
  const user = connection.user;
  if (!user) {
    connection.numeric(ERR.NOTREGISTERED, "You have not registered");
    return;
  }
  if (command.operatorOnly && !user.isOperator) {
    connection.numeric(ERR.NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
    return;
  }
  return command.run(connection, user, message.params, message);
}
