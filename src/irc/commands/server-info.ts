import type { RegisteredCommand } from "../command.js";
import { ERR, RPL } from "../numerics.js";
import { sendIsupport, sendLusers, sendMotd } from "../replies.js";

/** Commands that ask about the server itself. They take an optional server name, which must be ours. */
function targetIsUs(connection: Parameters<RegisteredCommand["run"]>[0], target: string | undefined): boolean {
  if (target === undefined || target.toLowerCase() === connection.context.serverName.toLowerCase()) return true;
  connection.numeric(ERR.NOSUCHSERVER, target, "No such server");
  return false;
}

export const lusers: RegisteredCommand = {
  name: "LUSERS",
  minParams: 0,
  when: "registered",
  help: "LUSERS — user and channel counts",
  run: (connection) => sendLusers(connection),
};

export const motd: RegisteredCommand = {
  name: "MOTD",
  minParams: 0,
  when: "registered",
  help: "MOTD — the message of the day",
  run(connection, _user, params) {
    if (targetIsUs(connection, params[0])) sendMotd(connection);
  },
};

export const version: RegisteredCommand = {
  name: "VERSION",
  minParams: 0,
  when: "registered",
  help: "VERSION — the server software and its supported features",
  run(connection, _user, params) {
    if (!targetIsUs(connection, params[0])) return;
    const { serverName, version: v } = connection.context;
    connection.numeric(RPL.VERSION, `cmymessage-${v}`, serverName, "CmyMessage: IRC, web and FTP on one core");
    sendIsupport(connection);
  },
};

export const time: RegisteredCommand = {
  name: "TIME",
  minParams: 0,
  when: "registered",
  help: "TIME — the server's local time",
  run(connection, _user, params) {
    if (!targetIsUs(connection, params[0])) return;
    const now = new Date();
    connection.numeric(RPL.TIME, connection.context.serverName, String(Math.floor(now.getTime() / 1000)), "0", now.toUTCString());
  },
};

export const admin: RegisteredCommand = {
  name: "ADMIN",
  minParams: 0,
  when: "registered",
  help: "ADMIN — who runs this server",
  run(connection, _user, params) {
    if (!targetIsUs(connection, params[0])) return;
    const { serverName, config } = connection.context;
    connection.numeric(RPL.ADMINME, serverName, "Administrative info");
    connection.numeric(RPL.ADMINLOC1, config.server.adminName);
    connection.numeric(RPL.ADMINLOC2, config.server.network);
    connection.numeric(RPL.ADMINEMAIL, config.server.adminEmail);
  },
};

export const info: RegisteredCommand = {
  name: "INFO",
  minParams: 0,
  when: "registered",
  help: "INFO — about this server software",
  run(connection, _user, params) {
    if (!targetIsUs(connection, params[0])) return;
    const { version: v, startedAt } = connection.context;
    for (const line of [
      `CmyMessage ${v}`,
      "A self-hosted messaging server: IRC chat, a web client and FTP file transfer on one core.",
      // Not the runtime's exact version: a guest has no use for it, an attacker does.
      `Running since ${startedAt.toUTCString()}.`,
    ]) {
      connection.numeric(RPL.INFO, line);
    }
    connection.numeric(RPL.ENDOFINFO, "End of /INFO list.");
  },
};
