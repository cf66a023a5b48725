import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import type { ServiceNick } from "./service-bot.js";
import { nickServ } from "./nickserv.js";
import { chanServ } from "./chanserv.js";

const services: Record<ServiceNick, (connection: IrcConnection, user: ChatUser, text: string) => Promise<void>> = {
  NickServ: nickServ,
  ChanServ: chanServ,
};

export function runService(service: ServiceNick, connection: IrcConnection, user: ChatUser, text: string): Promise<void> {
  return services[service](connection, user, text);
}
