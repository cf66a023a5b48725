import type { RelayedEvent } from "../core/chat/events.js";
import { shareChannel } from "../core/chat/visibility.js";
import type { IrcConnection } from "./connection.js";

/**
 * Whether an AWAY, ACCOUNT or SETNAME of someone `connection` watches (MONITOR) is shown:
 * with extended-monitor always (as if they shared a channel), else only when they do share one.
 */
function showsWatched(connection: IrcConnection, event: RelayedEvent): boolean {
  const user = connection.user;
  if (connection.caps.has("extended-monitor") || !user) return true;
  const core = connection.context.core;
  if (!core.watchers.isWatching(connection, event.from.nick)) return true;
  const other = core.findUser(event.from.nick);
  return other !== undefined && shareChannel(user, other);
}

/** Whether `connection` is shown `event` at all, by the capabilities it negotiated (and MONITOR, wallops). */
export function wantsEvent(connection: IrcConnection, event: RelayedEvent): boolean {
  const caps = connection.caps;
  switch (event.type) {
    case "message":
      return event.kind !== "tagmsg" || caps.has("message-tags");
    case "away":
      return caps.has("away-notify") && showsWatched(connection, event);
    case "realname":
      return caps.has("setname") && showsWatched(connection, event);
    case "account":
      return caps.has("account-notify") && showsWatched(connection, event);
    case "wallops":
      return connection.user?.wallops === true;
    case "redact":
      return caps.has("draft/message-redaction");
    case "invite":
      return event.target === connection.user?.nick || caps.has("invite-notify");
    default:
      return true;
  }
}
