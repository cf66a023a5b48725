import type { ChatUser } from "../core/chat/user.js";
import { IrcConnection } from "./connection.js";

/** The user's IRC connections on this node (not its web sessions); none for an always-on user with no connection. */
export function ircSessionsOf(user: ChatUser): IrcConnection[] {
  return [...user.sessions()].filter((session): session is IrcConnection => session instanceof IrcConnection);
}
