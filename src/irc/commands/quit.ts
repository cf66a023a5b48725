import type { AnytimeCommand } from "../command.js";

export const quit: AnytimeCommand = {
  name: "QUIT",
  minParams: 0,
  when: "any",
  help: "QUIT [:<message>] — leave the server",
  run(connection, params) {
    const message = params[0];
    connection.close(message ? `Quit: ${message}` : "Quit");
  },
};
