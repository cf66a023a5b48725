import type { Channel } from "../core/chat/channel.js";
import type { Config } from "../config/schema.js";
import type { ChatUser } from "../core/chat/user.js";
import type { IrcConnection } from "./connection.js";
import { formatLine } from "./format.js";
import { channelVisibleTo, visibleMembers } from "../core/chat/visibility.js";
import { isupportTokens } from "./isupport.js";
import { CHANMODES, USER_MODES } from "./modes.js";
import { ERR, RPL } from "./numerics.js";
import { wordListLines } from "./word-lists.js";

export function sendIsupport(connection: IrcConnection): void {
  const push = connection.context.push;
  const vapid = (config: Config): string | null => (push !== null && config.push.enabled ? push.vapidPublicKey : null);
  for (const tokens of connection.context.isupportLines((config) => isupportTokens(config, vapid(config)))) {
    connection.numeric(RPL.ISUPPORT, ...tokens, "are supported by this server");
  }
}

export function sendLusers(connection: IrcConnection): void {
  const stats = connection.context.core.stats();
  const visible = stats.users - stats.invisible;
  connection.numeric(RPL.LUSERCLIENT, `There are ${visible} users and ${stats.invisible} invisible on 1 server`);
  connection.numeric(RPL.LUSEROP, String(stats.operators), "operator(s) online");
  // Connections not yet registered: a user's further connections (multiclient) are not unknown.
  let unknown = 0;
  for (const other of connection.context.connections) if (!other.registered) unknown++;
  if (unknown > 0) connection.numeric(RPL.LUSERUNKNOWN, String(unknown), "unknown connection(s)");
  connection.numeric(RPL.LUSERCHANNELS, String(stats.channels), "channels formed");
  connection.numeric(RPL.LUSERME, `I have ${stats.users} clients and 0 servers`);
  connection.numeric(RPL.LOCALUSERS, String(stats.users), String(stats.maxUsers), `Current local users ${stats.users}, max ${stats.maxUsers}`);
  connection.numeric(RPL.GLOBALUSERS, String(stats.users), String(stats.maxUsers), `Current global users ${stats.users}, max ${stats.maxUsers}`);
}

export function sendMotd(connection: IrcConnection): void {
  const motd = connection.context.config.server.motd;
  if (motd.trim() === "") {
    connection.numeric(ERR.NOMOTD, "MOTD File is missing");
    return;
  }
  connection.numeric(RPL.MOTDSTART, `- ${connection.context.serverName} Message of the day - `);
  for (const line of motd.split(/\r?\n/)) connection.numeric(RPL.MOTD, `- ${line}`);
  connection.numeric(RPL.ENDOFMOTD, "End of /MOTD command.");
}

export function sendWelcome(connection: IrcConnection, user: ChatUser): void {
  const { config, serverName, version, startedAt } = connection.context;
  connection.numeric(RPL.WELCOME, `Welcome to the ${config.server.network} IRC Network ${user.hostmask}`);
  connection.numeric(RPL.YOURHOST, `Your host is ${serverName}, running version cmymessage-${version}`);
  connection.numeric(RPL.CREATED, `This server was created ${startedAt.toUTCString()}`);
  const [listModes = "", always = "", whenSet = "", flags = ""] = CHANMODES.split(",");
  connection.numeric(RPL.MYINFO, serverName, `cmymessage-${version}`, USER_MODES, `${listModes}${always}${whenSet}${flags}ov`, `${listModes}${always}${whenSet}ov`);
  sendIsupport(connection);
  sendLusers(connection);
  sendMotd(connection);
}

/** The prefix symbols of a member: the highest only, or all with multi-prefix. */
export function memberPrefix(channel: Channel, member: ChatUser, all: boolean): string {
  const membership = channel.membership(member);
  if (!membership) return "";
  if (all) return (membership.op ? "@" : "") + (membership.voice ? "+" : "");
  return membership.op ? "@" : membership.voice ? "+" : "";
}

/**
 * RPL_NAMREPLY lines (split to fit) and RPL_ENDOFNAMES; `beforeEnd` writes what must come before the latter (the read marker after a JOIN).
 * Paced (IrcConnection.sendPaced): a big channel's names, with userhost-in-names, can be many times the send queue.
 */
export function sendNames(connection: IrcConnection, viewer: ChatUser, channel: Channel, beforeEnd?: () => void): void {
  connection.sendPaced(namesLines(connection, viewer, channel, beforeEnd));
}

function* namesLines(connection: IrcConnection, viewer: ChatUser, channel: Channel, beforeEnd?: () => void): Generator<string> {
  if (channelVisibleTo(channel, viewer)) {
    const allPrefixes = connection.caps.has("multi-prefix");
    const hostmasks = connection.caps.has("userhost-in-names");
    const symbol = channel.flags.has("secret") ? "@" : "=";
    const names = [...visibleMembers(channel, viewer)].map(([member]) => memberPrefix(channel, member, allPrefixes) + (hostmasks ? member.hostmask : member.nick));
    yield* wordListLines(connection, RPL.NAMREPLY, [symbol, channel.name], names);
  }
  beforeEnd?.();
  yield connection.numericLine(RPL.ENDOFNAMES, channel.name, "End of /NAMES list.");
}

export function sendTopic(connection: IrcConnection, channel: Channel, evenIfUnset: boolean): void {
  if (!channel.topic) {
    if (evenIfUnset) connection.numeric(RPL.NOTOPIC, channel.name, "No topic is set");
    return;
  }
  connection.numeric(RPL.TOPIC, channel.name, channel.topic.text);
  connection.numeric(RPL.TOPICWHOTIME, channel.name, channel.topic.setBy, String(Math.floor(channel.topic.setAt / 1000)));
}

/** `:nick!user@host CMD params` sent to the client itself, e.g. its own MODE change. */
export function sendFromSelf(connection: IrcConnection, user: ChatUser, command: string, params: readonly string[]): void {
  connection.sendLine(formatLine(user.hostmask, command, params));
}

/** Splits a comma-separated target list, dropping empty items. */
export function splitList(text: string | undefined): string[] {
  if (!text) return [];
  // One target, the usual case: no array built by split and another by filter.
  if (!text.includes(",")) return [text];
  return text.split(",").filter((item) => item !== "");
}

/**
 * Splits a comma-separated JOIN key list keeping its empty items: keys pair with the
 * channels by position (RFC 2812 3.2.1), so `,secret` is no key for the first channel and
 * `secret` for the second, not `secret` for the first.
 */
export function splitKeys(text: string | undefined): string[] {
  return text ? text.split(",") : [];
}
