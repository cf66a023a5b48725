import type { RegisteredCommand } from "../command.js";
import { replyFailure } from "../failure-replies.js";
import { splitList } from "../replies.js";

export const kick: RegisteredCommand = {
  name: "KICK",
  minParams: 2,
  when: "registered",
  help: "KICK <#channel> <nick>[,<nick>…] [:<reason>] — remove users from a channel (channel operators)",
  run(connection, user, params) {
    const channel = params[0]!;
    const targets = splitList(params[1]).slice(0, connection.context.config.irc.maxTargets);
    const reason = params[2] ?? user.nick;
    for (const target of targets) {
      const result = connection.context.core.kick(user, channel, target, reason);
      if (!result.ok) {
        if (result.reason === "user-not-on-channel") replyFailure(connection, result.reason, target, channel);
        else replyFailure(connection, result.reason, channel);
        if (result.reason !== "user-not-on-channel") return;
      }
    }
  },
};
