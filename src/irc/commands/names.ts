import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";
import { sendNames, splitList } from "../replies.js";
import { channelVisibleTo } from "../../core/chat/visibility.js";

export const names: RegisteredCommand = {
  name: "NAMES",
  minParams: 0,
  when: "registered",
  help: "NAMES <#channel> — list who is in a channel",
  run(connection, user, params) {
    const wanted = splitList(params[0]);
    if (wanted.length === 0) {
      connection.numeric(RPL.ENDOFNAMES, "*", "End of /NAMES list.");
      return;
    }
    for (const name of wanted.slice(0, 1)) {
      const channel = connection.context.core.findChannel(name);
      // A channel hidden from the user answers as one that does not exist: its name as the
      // user wrote it, not the channel's own spelling (which would show that it exists).
      if (channel && channelVisibleTo(channel, user)) sendNames(connection, user, channel);
      else connection.numeric(RPL.ENDOFNAMES, name, "End of /NAMES list.");
    }
  },
};
