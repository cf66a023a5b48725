import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";
import { splitList } from "../replies.js";
import { channelVisibleTo } from "../../core/chat/visibility.js";
import { maskMatches } from "../../core/chat/mask.js";
import type { Channel } from "../../core/chat/channel.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";

type Filter = (channel: Channel) => boolean;

/**
 * ELIST M, N and U: a channel is listed when it matches any of the name masks
 * (if there are any) and every `!mask`, `>n` and `<n` condition.
 */
function parseFilter(text: string | undefined): Filter {
  const names: string[] = [];
  const conditions: Filter[] = [];
  for (const item of splitList(text)) {
    if (/^>\d+$/.test(item)) conditions.push((c) => c.memberCount > Number(item.slice(1)));
    else if (/^<\d+$/.test(item)) conditions.push((c) => c.memberCount < Number(item.slice(1)));
    else if (item.startsWith("!")) conditions.push((c) => !maskMatches(item.slice(1), c.name));
    else names.push(item);
  }
  return (c) => (names.length === 0 || names.some((mask) => maskMatches(mask, c.name))) && conditions.every((f) => f(c));
}

export const list: RegisteredCommand = {
  name: "LIST",
  minParams: 0,
  when: "registered",
  help: "LIST [<#mask>|>n|<n] — list channels, filtered by name mask or user count",
  run(connection, user, params) {
    // Paced (SAFELIST): the list of a big node is many times the send queue.
    connection.sendPaced(listLines(connection, user, parseFilter(params[0])));
  },
};

/** The LIST reply, made as it is written: a channel gone by then is simply not listed. */
function* listLines(connection: IrcConnection, user: ChatUser, matches: Filter): Generator<string> {
  yield connection.numericLine(RPL.LISTSTART, "Channel", "Users  Name");
  for (const channel of connection.context.core.channels()) {
    if (!channelVisibleTo(channel, user)) continue;
    if (!matches(channel)) continue;
    yield connection.numericLine(RPL.LIST, channel.name, String(channel.memberCount), channel.topic?.text ?? "");
  }
  yield connection.numericLine(RPL.LISTEND, "End of /LIST");
}
