import type { RegisteredCommand } from "../command.js";
import { ERR } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { splitList } from "../replies.js";
import { foldCase } from "../../core/chat/names.js";
import { hiddenFrom } from "../../core/chat/visibility.js";

interface KickPair {
  readonly channel: string;
  readonly target: string;
}

/** The pairs each once (channel and nick compared folded), in the order first named. */
function distinctPairs(pairs: readonly KickPair[]): KickPair[] {
  const seen = new Set<string>();
  return pairs.filter(({ channel, target }) => {
    const key = `${foldCase(channel)} ${foldCase(target)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * KICK <#channel>[,<#channel>…] <nick>[,<nick>…] [:<reason>] (RFC 2812 3.2.8): one channel
 * and several users, or as many channels as users, paired in order. Each user kicked is one
 * KICK line to the channel; each pair that fails gets its own error, a channel-level error
 * (no such channel, not on it, not an operator) once per channel. A pair named twice (in
 * any case) counts once.
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
    // TARGMAX counts the list as sent, repeats included.
    if (targets.length > connection.context.config.irc.maxTargets) {
      connection.numeric(ERR.TOOMANYTARGETS, params[1]!, "Too many targets");
      return;
    }
    // Each (channel, nick) pair once, in any case: a nick named twice is kicked once, never answered 441 the second time.
    const pairs = distinctPairs(targets.map((target, index) => ({ channel: channels.length === 1 ? channels[0]! : channels[index]!, target })));
    const reason = params[2] ?? user.nick;
    const failedChannels = new Set<string>();
    for (const { channel, target } of pairs) {
      const folded = foldCase(channel);
      if (failedChannels.has(folded)) continue;
      if (!core.findUser(target)) {
        replyFailure(connection, "no-such-nick", target);
        continue;
      }
      const result = core.kick(user, channel, target, reason);
      if (result.ok) continue;
      if (result.reason === "unavailable") {
        connection.serverLine("FAIL", "KICK", "TEMPORARILY_UNAVAILABLE", channel, target, "The kicked user is on another node, which cannot be reached now; try again in a moment");
        continue;
      }
      if (result.reason === "user-not-on-channel") {
        replyFailure(connection, result.reason, target, channel);
        continue;
      }
      // A secret channel is answered to an outsider as one that does not exist.
      replyFailure(connection, hiddenFrom(core.findChannel(channel), user) ? "no-such-channel" : result.reason, channel);
      failedChannels.add(folded);
    }
  },
};
