import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";

/** STATS u (uptime); other letters answer with an empty list, as servers do for what they do not track. */
export const stats: RegisteredCommand = {
  name: "STATS",
  minParams: 0,
  when: "registered",
  help: "STATS [u] — server statistics (u: uptime)",
  run(connection, _user, params) {
    const query = (params[0] ?? "*").slice(0, 1);
    if (query === "u") {
      const seconds = Math.floor((Date.now() - connection.context.startedAt.getTime()) / 1000);
      const [d, h, m, s] = [Math.floor(seconds / 86400), Math.floor((seconds % 86400) / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
      connection.numeric(RPL.STATSUPTIME, `Server Up ${d} days ${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`);
    }
    connection.numeric(RPL.ENDOFSTATS, query, "End of /STATS report");
  },
};

/** This server is not linked to others: LINKS lists only itself. */
export const links: RegisteredCommand = {
  name: "LINKS",
  minParams: 0,
  when: "registered",
  help: "LINKS — the servers of this network (just this one)",
  run(connection) {
    const { serverName, config } = connection.context;
    connection.numeric(RPL.LINKS, serverName, serverName, `0 ${config.server.network}`);
    connection.numeric(RPL.ENDOFLINKS, "*", "End of /LINKS list.");
  },
};
