import type { IrcConnection } from "../connection.js";
import { formatLine } from "../format.js";
import type { ReservedName } from "../../core/reserved-names.js";

/**
 * The pseudo-users that answer commands sent to them with PRIVMSG: some of the
 * reserved names (src/core/reserved-names.ts), which nobody may take as a nick.
 */
export const SERVICE_NICKS = ["NickServ", "ChanServ"] as const satisfies readonly ReservedName[];
export type ServiceNick = (typeof SERVICE_NICKS)[number];

/** Asked for every message's target: one look-up, nothing made per call. */
const SERVICES_BY_FOLDED_NAME: ReadonlyMap<string, ServiceNick> = new Map(SERVICE_NICKS.map((name) => [name.toLowerCase(), name]));

export function serviceByName(target: string): ServiceNick | undefined {
  return SERVICES_BY_FOLDED_NAME.get(target.toLowerCase());
}

/** What WHOIS gives as a service's real name. */
export const SERVICE_DESCRIPTIONS: Readonly<Record<ServiceNick, string>> = {
  NickServ: "Nickname services",
  ChanServ: "Channel services",
};

/** The host of the services' hostmask: `services.<server name>`. */
export function serviceHost(connection: IrcConnection): string {
  return `services.${connection.context.serverName}`;
}

/** A NOTICE from a service to this client, e.g. `:NickServ!NickServ@services.example NOTICE nick :text`. */
export function serviceNotice(connection: IrcConnection, service: ServiceNick, text: string): void {
  const source = `${service}!${service}@${serviceHost(connection)}`;
  connection.sendLine(formatLine(source, "NOTICE", [connection.nick, text]));
}
