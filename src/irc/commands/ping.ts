import type { AnytimeCommand } from "../command.js";

export const ping: AnytimeCommand = {
  name: "PING",
  minParams: 1,
  when: "any",
  help: "PING <token> — the server answers PONG with the same token",
  run(connection, params) {
    connection.serverLine("PONG", connection.context.serverName, params[0]!);
  },
};

export const pong: AnytimeCommand = {
  name: "PONG",
  minParams: 0,
  when: "any",
  help: "PONG <token> — answer to the server's PING",
  // Any line counts as a sign of life (the connection notes it); nothing more to do.
  run() {},
};
