import type { RegisteredCommand } from "../command.js";
import { ERR, RPL } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { memberPrefix } from "../replies.js";
import { channelVisibleTo } from "../../core/chat/visibility.js";
import type { ChatUser } from "../../core/chat/user.js";
import { ircSafeHost } from "../../net/address.js";
import { sendWordLists } from "../word-lists.js";
import type { IrcConnection } from "../connection.js";
import { SERVICE_DESCRIPTIONS, serviceByName, serviceHost, type ServiceNick } from "../services/service-bot.js";

export const whois: RegisteredCommand = {
  name: "WHOIS",
  // No nick at all is 431 (RFC 2812 3.6.2), answered below like a list of empty items.
  minParams: 0,
  when: "registered",
  help: "WHOIS [<server>] <nick> — details about a user",
  run(connection, user, params) {
    const nick = whoisTarget(params);
    if (nick === undefined) {
      connection.numeric(ERR.NONICKNAMEGIVEN, "No nickname given");
      return;
    }
    const service = serviceByName(nick);
    if (service) return whoisService(connection, service);
    const target = connection.context.core.findUser(nick);
    if (!target) {
      replyFailure(connection, "no-such-nick", nick);
      connection.numeric(RPL.ENDOFWHOIS, nick, "End of /WHOIS list.");
      return;
    }
    const { serverName, config } = connection.context;
    connection.numeric(RPL.WHOISUSER, target.nick, target.username, target.hostname, "*", target.realname);
    const channels = [...target.channels.values()]
      .filter((channel) => channelVisibleTo(channel, user))
      .map((channel) => memberPrefix(channel, target, connection.caps.has("multi-prefix")) + channel.name);
    sendWordLists(connection, RPL.WHOISCHANNELS, [target.nick], channels);
    connection.numeric(RPL.WHOISSERVER, target.nick, serverName, config.server.network);
    if (target.away) connection.numeric(RPL.AWAY, target.nick, target.away);
    if (target.isOperator) connection.numeric(RPL.WHOISOPERATOR, target.nick, "is an IRC operator");
    if (target.bot) connection.numeric(RPL.WHOISBOT, target.nick, `is a Bot on ${config.server.network}`);
    if (target.account) connection.numeric(RPL.WHOISACCOUNT, target.nick, target.account, "is logged in as");
    if (target.secure) connection.numeric(RPL.WHOISSECURE, target.nick, "is using a secure connection");
    if (target === user || user.isOperator) connection.numeric(RPL.WHOISACTUALLY, target.nick, ircSafeHost(target.address), "is actually using host");
    // Multiclient: one user on several connections is shown once; how many is for operators and the user.
    if (target === user || user.isOperator) connection.numeric(RPL.WHOISSPECIAL, target.nick, connectionCount(target));
    const idle = Math.floor((Date.now() - target.lastActive) / 1000);
    connection.numeric(RPL.WHOISIDLE, target.nick, String(idle), String(Math.floor(target.signedOnAt / 1000)), "seconds idle, signon time");
    connection.numeric(RPL.ENDOFWHOIS, target.nick, "End of /WHOIS list.");
  },
};

/**
 * A service answers WHOIS as the pseudo-user it is (Ergo and Anope's services do too):
 * a client that looks NickServ up before identifying finds it, rather than "No such nick".
 */
function whoisService(connection: IrcConnection, service: ServiceNick): void {
  const { serverName, config } = connection.context;
  connection.numeric(RPL.WHOISUSER, service, service, serviceHost(connection), "*", SERVICE_DESCRIPTIONS[service]);
  connection.numeric(RPL.WHOISSERVER, service, serverName, config.server.network);
  connection.numeric(RPL.WHOISOPERATOR, service, "is a Network Service");
  connection.numeric(RPL.ENDOFWHOIS, service, "End of /WHOIS list.");
}

/**
 * The nick a WHOIS asks about: `WHOIS server nick` and `WHOIS nick nick` both ask about
 * the second parameter; of its comma list, the first item that is not empty (one target,
 * TARGMAX WHOIS:1). Undefined when there is none: an empty nick cannot be named in the
 * 401 and 318 replies (RFC 1459 middle parameters are never empty).
 */
function whoisTarget(params: readonly string[]): string | undefined {
  const list = params.length > 1 ? params[1]! : params[0];
  return list?.split(",").find((item) => item !== "");
}

/**
 * How many connections the user has, as RPL_WHOISSPECIAL says it. In a cluster a node
 * counts only its own connections of the user, so it says where the others are rather
 * than undercount.
 */
function connectionCount(target: ChatUser): string {
  const elsewhere = target.node !== null || target.otherNodes.size > 0;
  if (!elsewhere) return `is connected ${target.sessionCount} time(s)`;
  if (target.sessionCount === 0) return "is connected on another node";
  return `is connected ${target.sessionCount} time(s) on this node, and on other nodes`;
}
