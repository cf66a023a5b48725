import type { AnytimeCommand } from "../command.js";
import { ERR } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { tryCompleteRegistration } from "../registration.js";
import { isValidNick } from "../../core/chat/names.js";
import { checkNickOwnership } from "../accounts/nick-ownership.js";

export const nick: AnytimeCommand = {
  name: "NICK",
  minParams: 0,
  when: "any",
  help: "NICK <nickname> — choose or change your nickname",
  run(connection, params) {
    const wanted = params[0];
    if (!wanted) {
      connection.numeric(ERR.NONICKNAMEGIVEN, "No nickname given");
      return;
    }
    const core = connection.context.core;
    if (connection.user) {
      const result = core.changeNick(connection.user, wanted);
      if (!result.ok) replyFailure(connection, result.reason, wanted);
      else if (result.changed) void checkNickOwnership(connection);
      return;
    }
    if (!isValidNick(wanted, core.limits.nickLength)) {
      replyFailure(connection, "erroneous-nick", wanted);
      return;
    }
    // While CAP negotiation holds registration, a SASL login may still attach this
    // connection to its account's online user (multiclient), whose nick it is: the
    // check waits for the end of registration, which answers 433 if it still applies.
    if (!core.isNickAvailable(wanted) && !connection.pending!.capNegotiating) {
      replyFailure(connection, "nick-in-use", wanted);
      return;
    }
    connection.pending!.nick = wanted;
    tryCompleteRegistration(connection);
  },
};
