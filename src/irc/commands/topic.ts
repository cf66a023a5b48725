import type { RegisteredCommand } from "../command.js";
import { replyFailure } from "../failure-replies.js";
import { sendTopic } from "../replies.js";
import { channelVisibleTo, hiddenFrom } from "../../core/chat/visibility.js";

export const topic: RegisteredCommand = {
  name: "TOPIC",
  minParams: 1,
  when: "registered",
  help: "TOPIC <#channel> [:<topic>] — show or set a channel's topic (empty clears it)",
  run(connection, user, params) {
    const core = connection.context.core;
    const name = params[0]!;
    if (params.length < 2) {
      const channel = core.findChannel(name);
      if (!channel || !channelVisibleTo(channel, user)) replyFailure(connection, "no-such-channel", name);
      else if (!channel.has(user) && channel.flags.has("secret")) replyFailure(connection, "not-on-channel", name);
      else sendTopic(connection, channel, true);
      return;
    }
    const result = core.setTopic(user, name, params[1]!);
    if (!result.ok) replyFailure(connection, hiddenFrom(core.findChannel(name), user) ? "no-such-channel" : result.reason, name);
  },
};
