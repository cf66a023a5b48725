import type { RegisteredCommand } from "../command.js";
import { ERR } from "../numerics.js";
import { splitText } from "../split-text.js";

export const wallops: RegisteredCommand = {
  name: "WALLOPS",
  minParams: 1,
  when: "registered",
  operatorOnly: true,
  help: "WALLOPS :<text> — a message to every user with user mode +w (operators)",
  run(connection, user, params) {
    const text = params[0]!;
    if (text === "") {
      connection.numeric(ERR.NEEDMOREPARAMS, "WALLOPS", "Not enough parameters");
      return;
    }
    // ":" nick "!" user "@" host " WALLOPS :" text CRLF must fit in 512 bytes: split, never cut.
    const budget = 512 - (Buffer.byteLength(user.hostmask) + 13);
    for (const part of splitText(text, budget)) connection.context.core.wallops(user, part);
  },
};
