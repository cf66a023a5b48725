import type { RegisteredCommand } from "../command.js";
import { ERR } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { splitList } from "../replies.js";

/**
 * KICK <#channel>[,<#channel>…] <nick>[,<nick>…] [:<reason>] (RFC 2812 3.2.8): one channel
 * and several users, or as many channels as users, paired in order. Each user kicked is one
 * KICK line to the channel; each pair that fails gets its own error, a channel-level error
 * (no such channel, not on it, not an operator) once per channel.
 */
export const kick: RegisteredCommand = {
  name: "KICK",
  minParams: 2,
  when: "registered",
  help: "KICK <#channel>[,<#channel>…] <nick>[,<nick>…] [:<reason>] — remove users from channels (channel operators); one channel for all, or one per nick",
  run(connection, user, params) {
    const core = connection.context.core;
    const channels = splitList(params[0]);
    const targets = splitList(params[1]);
    if (channels.length === 0 || targets.length === 0 || (channels.length !== 1 && channels.length !== targets.length)) {
      connection.numeric(ERR.NEEDMOREPARAMS, "KICK", "Not enough parameters");
      return;
    }
    if (targets.length > connection.context.config.irc.maxTargets) {
      connection.numeric(ERR.TOOMANYTARGETS, params[1]!, "Too many targets");
      return;
    }
    const reason = params[2] ?? user.nick;
    const failedChannels = new Set<string>();
    targets.forEach((target, index) => {
      const channel = channels.length === 1 ? channels[0]! : channels[index]!;
      const folded = channel.toLowerCase();
      if (failedChannels.has(folded)) return;
      if (!core.findUser(target)) {
        replyFailure(connection, "no-such-nick", target);
        return;
      }
      const result = core.kick(user, channel, target, reason);
      if (result.ok) return;
      if (result.reason === "unavailable") {
        connection.serverLine("FAIL", "KICK", "TEMPORARILY_UNAVAILABLE", channel, target, "The kicked user is on another node, which cannot be reached now; try again in a moment");
        return;
      }
      if (result.reason === "user-not-on-channel") {
        replyFailure(connection, result.reason, target, channel);
        return;
      }
      replyFailure(connection, result.reason, channel);
      failedChannels.add(folded);
    });
  },
};
