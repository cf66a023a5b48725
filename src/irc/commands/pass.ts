import type { AnytimeCommand } from "../command.js";
import { ERR } from "../numerics.js";

export const pass: AnytimeCommand = {
  name: "PASS",
  minParams: 1,
  when: "any",
  help: "PASS <password> — connection password (accepted and ignored: this server has none)",
  run(connection) {
    if (!connection.pending) connection.numeric(ERR.ALREADYREGISTERED, "You may not reregister");
  },
};
