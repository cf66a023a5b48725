import { channelVisibleTo } from "../../core/chat/visibility.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { foldCase } from "../../core/chat/names.js";
import { serviceNotice } from "./service-bot.js";
import type { ChannelRegistration } from "../../core/chat/channel-registry.js";

const HELP = [
  "ChanServ keeps a channel's topic, modes and lists (+b, +e, +I), and its founder's operator status, across restarts and while it is empty.",
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
      // The database decides, not this node's memory: another node may have registered it a moment ago.
      const outcome = await registry.register(channel, connection.account.name);
      if (!outcome.registered) return reply(outcome.registration ? `${channel.name} is already registered to ${founderName(outcome.registration)}.` : `${channel.name} is already registered.`);
      connection.context.log.info({ channel: channel.name, founder: connection.account.name }, "channel registered");
      return reply(`${channel.name} is registered to ${connection.account.name}.`);
    }
    case "INFO": {
      const registration = await registry.lookup(name);
      if (!registration || hiddenFrom(connection, user, registration)) return reply(`${name || "That channel"} is not registered.`);
      return reply(`${registration.name} was registered by ${founderName(registration)} on ${new Date(registration.registeredAt).toUTCString()}.`);
    }
    case "DROP": {
      const registration = await registry.lookup(name);
      const account = connection.account;
      const founder = registration !== undefined && account !== null && foldCase(account.name) === registration.founder;
      // Answered as INFO answers: "only the founder" would tell an outsider that a secret channel is registered.
      if (!registration || (!founder && hiddenFrom(connection, user, registration))) return reply(`${name || "That channel"} is not registered.`);
      if (!founder || !account) return reply("Only the founder may drop a channel.");
      // Deleted only while still this founder's: dropped or registered anew elsewhere since the lookup, it is not.
      if (!(await registry.drop(name, account.name))) return reply(registry.get(name) ? "Only the founder may drop a channel." : `${registration.name} is not registered.`);
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

function founderName(registration: ChannelRegistration): string {
  return registration.founder || "(a deleted account)";
}

/** Whether a registered channel is secret to `user`: +s now and `user` outside it, or kept +s while empty (operators excepted). */
function hiddenFrom(connection: IrcConnection, user: ChatUser, registration: ChannelRegistration): boolean {
  const live = connection.context.core.findChannel(registration.name);
  return live ? !channelVisibleTo(live, user) : registration.flags.includes("secret") && !user.isOperator;
}
