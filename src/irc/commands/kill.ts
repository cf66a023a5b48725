import type { RegisteredCommand } from "../command.js";
import { replyFailure } from "../failure-replies.js";

export const kill: RegisteredCommand = {
  name: "KILL",
  minParams: 2,
  when: "registered",
  operatorOnly: true,
  help: "KILL <nick> :<reason> — disconnect a user (operators)",
  run(connection, user, params) {
    const core = connection.context.core;
    const target = core.findUser(params[0]!);
    if (!target) {
      replyFailure(connection, "no-such-nick", params[0]!);
      return;
    }
    connection.context.log.info({ operator: user.nick, target: target.nick, reason: params[1] }, "operator KILL");
    core.kill(target, `Killed (${user.nick} (${params[1]}))`);
  },
};
