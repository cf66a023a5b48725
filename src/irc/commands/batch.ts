import type { RegisteredCommand } from "../command.js";
import { closeBatch, openBatch } from "../multiline-input.js";

export const batch: RegisteredCommand = {
  name: "BATCH",
  minParams: 1,
  when: "registered",
  help: "BATCH +<ref> draft/multiline <target>, lines tagged batch=<ref>, BATCH -<ref> — several lines as one message (IRCv3 draft/multiline)",
  run(connection, user, params, message) {
    const reference = params[0]!;
    if (reference.startsWith("+")) return openBatch(connection, params, message);
    if (reference.startsWith("-")) return closeBatch(connection, user, reference.slice(1));
    connection.serverLine("FAIL", "BATCH", "MULTILINE_INVALID", "A batch reference starts with + or -");
  },
};
