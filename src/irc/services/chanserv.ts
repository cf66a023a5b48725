import { channelVisibleTo } from "../../core/chat/visibility.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { foldCase } from "../../core/chat/names.js";
import { serviceNotice } from "./service-bot.js";

const HELP = [
  "ChanServ keeps a channel's topic and modes, and its founder's operator status, across restarts.",
  "REGISTER <#channel>   register a channel you are an operator of (log in first)",
  "INFO <#channel>       who founded a channel, and when",
  "DROP <#channel>       unregister a channel you founded",
];

export async function chanServ(connection: IrcConnection, user: ChatUser, text: string): Promise<void> {
  const [command = "", name = ""] = text.trim().split(/\s+/);
  const reply = (line: string): void => serviceNotice(connection, "ChanServ", line);
  const { core } = connection.context;
  const registry = core.registry;
  if (!registry) return reply("Channel registration is not available on this server.");
  switch (command.toUpperCase()) {
    case "REGISTER": {
      const channel = core.findChannel(name);
      // A channel one is not in gets the same answer as one that does not exist: a +s channel is not shown.
      if (!channel?.has(user)) return reply("Syntax: REGISTER <#channel> (a channel you are in)");
      if (!connection.account) return reply("Log in to an account first (NickServ IDENTIFY or SASL).");
      if (!channel.isOp(user)) return reply(`You must be an operator of ${channel.name} to register it.`);
      if (registry.get(channel.name)) return reply(`${channel.name} is already registered.`);
      await registry.register(channel, connection.account.name);
      connection.context.log.info({ channel: channel.name, founder: connection.account.name }, "channel registered");
      return reply(`${channel.name} is registered to ${connection.account.name}.`);
    }
    case "INFO": {
      const registration = registry.get(name);
      // A secret channel (+s now, or kept +s while empty) is not shown to those outside it.
      const live = core.findChannel(name);
      const secret = live ? !channelVisibleTo(live, user) : registration?.flags.includes("secret") === true && !user.isOperator;
      if (!registration || secret) return reply(`${name || "That channel"} is not registered.`);
      return reply(`${registration.name} was registered by ${registration.founder || "(a deleted account)"} on ${new Date(registration.registeredAt).toUTCString()}.`);
    }
    case "DROP": {
      const registration = registry.get(name);
      if (!registration) return reply(`${name || "That channel"} is not registered.`);
      if (!connection.account || foldCase(connection.account.name) !== registration.founder) return reply("Only the founder may drop a channel.");
      await registry.drop(name);
      return reply(`${registration.name} is no longer registered.`);
    }
    case "HELP":
    case "":
      for (const line of HELP) reply(line);
      return;
    default:
      return reply(`Unknown command ${command}. Try HELP.`);
  }
}
