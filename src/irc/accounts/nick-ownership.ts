import { randomInt } from "node:crypto";
import type { IrcConnection } from "../connection.js";
import { ircSessionsOf } from "../irc-sessions.js";
import type { IrcServerContext } from "../server-context.js";
import type { ChatUser } from "../../core/chat/user.js";
import { foldCase } from "../../core/chat/names.js";
import { serviceNotice } from "../services/service-bot.js";
import { renameByServer } from "../commands/nick.js";
import { detached } from "../../detached.js";

/** Guest nicks tried before a forced rename waits for the next sweep. */
const GUEST_NICK_ATTEMPTS = 20;

/**
 * A registered account owns the nick of its name. Whoever else uses that nick must
 * log in within `auth.nickEnforcementSeconds` or is renamed to a guest nick.
 * Called after registration and after every nick change; the check is async
 * (a database lookup), so it re-checks that the nick is still the same.
 *
 * The deadline is the user's (ChatUser.nickDeadline), not the connection's: the user
 * keeps the nick when that connection goes, through its other connections
 * (multiclient) or with none (always-on), and must lose it all the same.
 */
export async function checkNickOwnership(connection: IrcConnection): Promise<void> {
  const user = connection.user;
  if (!user) return;
  // Already counting down for this nick (a nick change to another name clears it):
  // a change of case must not start the count again.
  if (user.nickDeadline !== 0) return;
  const nick = user.nick;
  if (ownsNick(user) || (connection.account && foldCase(connection.account.name) === user.folded)) return;
  let owner;
  try {
    owner = await connection.context.accounts.find(nick);
  } catch {
    return; // database unavailable: do not punish the user for it
  }
  const core = connection.context.core;
  // The connection may have gone meanwhile; the user, and so the deadline, may not have.
  if (!owner || !core.isOnline(user) || user.nick !== nick || user.nickDeadline !== 0 || ownsNick(user) || connection.account?.id === owner.id) return;
  const seconds = connection.context.config.auth.nickEnforcementSeconds;
  user.nickDeadline = Date.now() + seconds * 1000;
  const warning = `The nick ${nick} belongs to a registered account. Log in within ${seconds} seconds (/msg NickServ IDENTIFY <password>, or SASL), or your nick will be changed.`;
  // After a database look-up: whatever command a connection runs by then, this is not its reply.
  for (const session of ircSessionsOf(user)) session.sendUnlabelled(() => serviceNotice(session, "NickServ", warning));
}

/**
 * Renames every user whose deadline passed (called by the IRC service's sweep, which
 * runs whether or not the connection that took the nick is still there). A field test
 * per user, with no allocation: the users are about as many as the connections the
 * same sweep already walks.
 */
export function enforceNickDeadlines(context: IrcServerContext, now: number): void {
  for (const user of context.core.users()) {
    if (user.nickDeadline === 0 || now < user.nickDeadline) continue;
    // Cleared before the (possibly asynchronous) rename, so the next sweep does not start another.
    user.nickDeadline = 0;
    detached(renameToGuest(context, user), (error) => context.log.error({ err: error, nick: user.nick }, "registered nick enforcement failed"));
  }
}

/** Logged in to the account that owns its nick: the one user allowed to hold it. */
function ownsNick(user: ChatUser): boolean {
  return user.account !== null && foldCase(user.account) === user.folded;
}

async function renameToGuest(context: IrcServerContext, user: ChatUser): Promise<void> {
  const old = user.nick;
  const folded = user.folded;
  const stillDue = (): boolean => context.core.isOnline(user) && user.folded === folded && !ownsNick(user);
  if (!stillDue()) return;
  for (let attempt = 0; attempt < GUEST_NICK_ATTEMPTS; attempt++) {
    const guest = `Guest${randomInt(10000, 100000)}`;
    if (!context.core.isNickAvailable(guest)) continue;
    const outcome = await renameByServer(context, user, guest, stillDue);
    if (outcome === "cancelled") return;
    if (outcome === "renamed") {
      const notice = `You did not log in to ${old} in time, so your nick is now ${guest}.`;
      for (const session of ircSessionsOf(user)) session.sendUnlabelled(() => serviceNotice(session, "NickServ", notice));
      context.log.info({ address: user.address, from: old, to: guest }, "registered nick enforced");
      return;
    }
    // The cluster cannot be reached: trying more guest nicks now would not help.
    if (outcome === "unavailable") break;
  }
  // No guest nick could be had: the next sweep tries again, unless the nick was given up meanwhile.
  if (stillDue()) user.nickDeadline = Date.now();
}
