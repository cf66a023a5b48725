import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";
import { channelVisibleTo, splitList } from "../replies.js";
import { maskMatches } from "../../core/chat/mask.js";
import type { Channel } from "../../core/chat/channel.js";

type Filter = (channel: Channel) => boolean;

/** ELIST M, N and U: masks, negated masks and user-count bounds. */
function parseFilters(text: string | undefined): Filter[] {
  const filters: Filter[] = [];
  for (const item of splitList(text)) {
    if (/^>\d+$/.test(item)) filters.push((c) => c.members.size > Number(item.slice(1)));
    else if (/^<\d+$/.test(item)) filters.push((c) => c.members.size < Number(item.slice(1)));
    else if (item.startsWith("!")) filters.push((c) => !maskMatches(item.slice(1), c.name));
    else filters.push((c) => maskMatches(item, c.name));
  }
  return filters;
}

export const list: RegisteredCommand = {
  name: "LIST",
  minParams: 0,
  when: "registered",
  help: "LIST [<#mask>|>n|<n] — list channels, filtered by name mask or user count",
  run(connection, user, params) {
    const filters = parseFilters(params[0]);
    const masks = filters.length;
    connection.numeric(RPL.LISTSTART, "Channel", "Users  Name");
    for (const channel of connection.context.core.channels()) {
      if (!channelVisibleTo(channel, user)) continue;
      if (masks > 0 && !filters.every((f) => f(channel))) continue;
      connection.numeric(RPL.LIST, channel.name, String(channel.members.size), channel.topic?.text ?? "");
    }
    connection.numeric(RPL.LISTEND, "End of /LIST");
  },
};
