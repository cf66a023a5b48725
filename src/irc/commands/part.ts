import type { RegisteredCommand } from "../command.js";
import { replyFailure } from "../failure-replies.js";
import { splitList } from "../replies.js";

export const part: RegisteredCommand = {
  name: "PART",
  minParams: 1,
  when: "registered",
  help: "PART <#channel>[,<#channel>…] [:<reason>] — leave channels",
  run(connection, user, params) {
    for (const name of splitList(params[0])) {
      const result = connection.context.core.part(user, name, params[1] ?? "");
      if (!result.ok) replyFailure(connection, result.reason, name);
    }
  },
};
