import type { RegisteredCommand } from "../command.js";
import { RPL } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";

export const invite: RegisteredCommand = {
  name: "INVITE",
  minParams: 2,
  when: "registered",
  help: "INVITE <nick> <#channel> — invite someone (needed to join a +i channel)",
  run(connection, user, params) {
    const [nick, channel] = [params[0]!, params[1]!];
    const result = connection.context.core.invite(user, nick, channel, connection.id);
    if (!result.ok) {
      if (result.reason === "no-such-nick") replyFailure(connection, result.reason, nick);
      else if (result.reason === "user-on-channel") replyFailure(connection, result.reason, nick, channel);
      else replyFailure(connection, result.reason, channel);
      return;
    }
    // The channel's own name, not as typed (`#KB2` for #kb2), as the INVITE the target gets.
    connection.numeric(RPL.INVITING, result.target.nick, result.channel.name);
    if (result.target.away) connection.numeric(RPL.AWAY, result.target.nick, result.target.away);
  },
};
