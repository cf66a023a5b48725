import type { IrcConnection } from "../connection.js";
import { formatLine } from "../format.js";
import type { ReservedName } from "../../core/reserved-names.js";

/**
 * The pseudo-users that answer commands sent to them with PRIVMSG: some of the
 * reserved names (src/core/reserved-names.ts), which nobody may take as a nick.
 */
export const SERVICE_NICKS = ["NickServ", "ChanServ"] as const satisfies readonly ReservedName[];
export type ServiceNick = (typeof SERVICE_NICKS)[number];

export function serviceByName(target: string): ServiceNick | undefined {
  const folded = target.toLowerCase();
  return SERVICE_NICKS.find((name) => name.toLowerCase() === folded);
}

/** A NOTICE from a service to this client, e.g. `:NickServ!NickServ@services.example NOTICE nick :text`. */
export function serviceNotice(connection: IrcConnection, service: ServiceNick, text: string): void {
  const source = `${service}!${service}@services.${connection.context.serverName}`;
  connection.sendLine(formatLine(source, "NOTICE", [connection.nick, text]));
}
