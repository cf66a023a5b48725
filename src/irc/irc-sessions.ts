import type { ChatUser } from "../core/chat/user.js";
import { IrcConnection } from "./connection.js";
import { sendFromSelf } from "./replies.js";

/** The user's IRC connections on this node (not its web sessions); none for an always-on user with no connection. */
export function ircSessionsOf(user: ChatUser): IrcConnection[] {
  return [...user.sessions()].filter((session): session is IrcConnection => session instanceof IrcConnection);
}

/**
 * The user's own modes changed (`changes`, e.g. "+iB", "-o"): every IRC connection of it
 * here is shown the MODE, as it is shown a NICK or an AWAY of another (multiclient);
 * `connection`, the one that asked, as part of its reply, the others unlabelled.
 */
export function showOwnModeChange(connection: IrcConnection, user: ChatUser, changes: string): void {
  for (const session of ircSessionsOf(user)) {
    if (session === connection) sendFromSelf(session, user, "MODE", [user.nick, changes]);
    else session.sendUnlabelled(() => sendFromSelf(session, user, "MODE", [user.nick, changes]));
  }
}
