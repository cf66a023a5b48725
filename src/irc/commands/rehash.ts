import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";

export const rehash: RegisteredCommand = {
  name: "REHASH",
  minParams: 0,
  when: "registered",
  operatorOnly: true,
  help: "REHASH — reload the configuration (operators); listeners and the data directory stay as they are",
  async run(connection, user) {
    connection.numeric(RPL.REHASHING, "config", "Rehashing");
    try {
      await connection.context.reload();
      connection.context.log.info({ operator: user.nick }, "configuration reloaded");
      connection.serverLine("NOTICE", user.nick, `*** Configuration reloaded`);
    } catch (error) {
      // A bad file changes nothing: the running config stays in force.
      connection.context.log.warn({ operator: user.nick, err: (error as Error).message }, "REHASH failed");
      connection.serverLine("NOTICE", user.nick, `*** REHASH failed, configuration unchanged: ${(error as Error).message.split("\n").join(" ")}`);
    }
  },
};
