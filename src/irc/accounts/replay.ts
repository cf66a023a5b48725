import type { Account } from "../../core/accounts/ports.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { StoredMessage } from "../../core/chat/history.js";
import type { IrcConnection } from "../connection.js";
import { storedMessageLine } from "../history-lines.js";
import { withBatch } from "../batch.js";
import { serviceNotice } from "../services/service-bot.js";

/** Most offline direct messages replayed at login; the rest wait for CHATHISTORY. */
const MAX_REPLAYED = 100;

function sendStored(connection: IrcConnection, target: string, messages: readonly StoredMessage[]): void {
  withBatch(connection, "chathistory", [target], (batch) => {
    for (const message of messages) connection.sendLine(storedMessageLine(message, connection.variant, batch, false));
  });
}

/** "1 direct message", "3 direct messages", "More than 100 direct messages". */
function awayCount(found: number): string {
  if (found > MAX_REPLAYED) return `More than ${MAX_REPLAYED} direct messages`;
  return found === 1 ? "1 direct message" : `${found} direct messages`;
}

/**
 * Direct messages sent to the account while it was offline: a notice says how many;
 * clients without CHATHISTORY get them replayed with their original times.
 */
export async function replayOfflineMessages(connection: IrcConnection, account: Account): Promise<void> {
  const missed = connection.context.missed;
  if (!missed) return;
  let messages;
  try {
    messages = await missed.direct(account.name, account.lastSeenAt ?? account.createdAt, MAX_REPLAYED + 1);
  } catch {
    serviceNotice(connection, "NickServ", "Your stored messages cannot be read right now; try CHATHISTORY later.");
    return;
  }
  if (messages.length === 0 || connection.closed) return;
  serviceNotice(connection, "NickServ", `${awayCount(messages.length)} arrived while you were away.`);
  if (connection.caps.has("draft/chathistory")) return;
  sendStored(connection, connection.nick, messages.slice(0, MAX_REPLAYED));
}

/**
 * An always-on user gets a connection after a time with none: a client with
 * draft/chathistory fetches what it missed itself; others are sent it (bounded by
 * accounts.alwaysOnReplayMax), each channel's and the direct messages in a batch.
 */
export async function replayMissed(connection: IrcConnection, user: ChatUser, since: number): Promise<void> {
  const missed = connection.context.missed;
  if (!missed || connection.caps.has("draft/chathistory")) return;
  const limit = connection.context.config.accounts.alwaysOnReplayMax;
  let conversations;
  try {
    conversations = await missed.forUser(user, since, limit);
  } catch {
    serviceNotice(connection, "NickServ", "What you missed cannot be read right now.");
    return;
  }
  if (connection.closed) return;
  for (const conversation of conversations) sendStored(connection, conversation.channel ?? connection.nick, conversation.messages);
}
