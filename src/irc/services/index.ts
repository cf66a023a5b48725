import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { serviceNotice, type ServiceNick } from "./service-bot.js";
import { nickServ } from "./nickserv.js";
import { chanServ } from "./chanserv.js";

const services: Record<ServiceNick, (connection: IrcConnection, user: ChatUser, text: string) => Promise<void>> = {
  NickServ: nickServ,
  ChanServ: chanServ,
};

/** Runs a service command; a failure (the database away, say) is logged and answered, never lost. */
export async function runService(service: ServiceNick, connection: IrcConnection, user: ChatUser, text: string): Promise<void> {
  try {
    await services[service](connection, user, text);
  } catch (error) {
    connection.context.log.error({ err: error, service }, "service command failed");
    serviceNotice(connection, service, "That cannot be done right now; try again later.");
  }
}
