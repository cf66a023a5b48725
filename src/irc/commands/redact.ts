import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { redactMessage, type RedactFailureReason } from "../../core/chat/redaction.js";

/** IRCv3 message-redaction's FAIL codes, with the spec's sample texts. */
function refuse(connection: IrcConnection, reason: RedactFailureReason, target: string, msgid: string): void {
  switch (reason) {
    case "invalid-target":
      return connection.serverLine("FAIL", "REDACT", "INVALID_TARGET", target, `You cannot delete messages from ${target}`);
    case "forbidden":
      return connection.serverLine("FAIL", "REDACT", "REDACT_FORBIDDEN", target, msgid, "You are not authorised to delete this message");
    case "unknown-msgid":
      return connection.serverLine("FAIL", "REDACT", "UNKNOWN_MSGID", target, msgid, "This message does not exist or is too old");
    case "unavailable":
      return connection.serverLine("FAIL", "REDACT", "TEMPORARILY_UNAVAILABLE", target, "Messages cannot be deleted right now; try again later");
  }
}

export const redact: RegisteredCommand = {
  name: "REDACT",
  minParams: 2,
  when: "registered",
  help: "REDACT <target> <msgid> [:<reason>] — delete a message from history and from clients (IRCv3 draft/message-redaction)",
  async run(connection, user, params) {
    const [target, msgid] = [params[0]!, params[1]!];
    const reason = params[2] === undefined || params[2] === "" ? null : params[2];
    const { core, history, accounts } = connection.context;
    const directory = { exists: async (name: string) => (await accounts.find(name)) !== undefined, retired: (name: string) => accounts.isRetired(name) };
    const result = await redactMessage(core, history, directory, user, target, msgid, reason, connection.id);
    if (connection.closed) return;
    if (!result.ok) return refuse(connection, result.reason, target, msgid);
    // The remover's own copy is the answer to its command (labelled, like an echo); its other sessions got theirs.
    if (connection.caps.has("draft/message-redaction")) connection.echo(result.event);
  },
};
