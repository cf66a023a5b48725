import type { RegisteredCommand } from "../command.js";
import { replyFailure } from "../failure-replies.js";
import { channelTargets } from "../channel-targets.js";
import { hiddenFrom } from "../../core/chat/visibility.js";

export const part: RegisteredCommand = {
  name: "PART",
  minParams: 1,
  when: "registered",
  help: "PART <#channel>[,<#channel>…] [:<reason>] — leave channels",
  run(connection, user, params) {
    // At most TARGMAX PART: channels, each once (see channelTargets).
    for (const { name } of channelTargets(connection, params[0]!) ?? []) {
      const core = connection.context.core;
      const result = core.part(user, name, params[1] ?? "");
      if (!result.ok) replyFailure(connection, hiddenFrom(core.findChannel(name), user) ? "no-such-channel" : result.reason, name);
    }
  },
};
