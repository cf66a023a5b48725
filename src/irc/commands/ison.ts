import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";

export const ison: RegisteredCommand = {
  name: "ISON",
  minParams: 1,
  when: "registered",
  help: "ISON <nick> [<nick>…] — which of these nicks are online",
  run(connection, _user, params) {
    const core = connection.context.core;
    // Each user once, however often (in whatever case) it is named.
    const online = new Set(
      params
        .flatMap((p) => p.split(" "))
        .filter((nick) => nick !== "")
        .slice(0, 64)
        .map((nick) => core.findUser(nick))
        .filter((user) => user !== undefined),
    );
    connection.numeric(RPL.ISON, [...online].map((user) => user.nick).join(" "));
  },
};
