import { randomInt } from "node:crypto";
import type { IrcConnection } from "../connection.js";
import { foldCase } from "../../core/chat/names.js";
import { serviceNotice } from "../services/service-bot.js";

/**
 * A registered account owns the nick of its name. Whoever else uses that nick must
 * log in within `auth.nickEnforcementSeconds` or is renamed to a guest nick.
 * Called after registration and after every nick change; the check is async
 * (a database lookup), so it re-checks that the nick is still the same.
 */
export async function checkNickOwnership(connection: IrcConnection): Promise<void> {
  const user = connection.user;
  if (!user) return;
  const nick = user.nick;
  connection.nickDeadline = 0;
  if (connection.account && foldCase(connection.account.name) === user.folded) return;
  let owner;
  try {
    owner = await connection.context.accounts.find(nick);
  } catch {
    return; // database unavailable: do not punish the user for it
  }
  if (!owner || connection.closed || connection.user?.nick !== nick || connection.account?.id === owner.id) return;
  const seconds = connection.context.config.auth.nickEnforcementSeconds;
  connection.nickDeadline = Date.now() + seconds * 1000;
  serviceNotice(
    connection,
    "NickServ",
    `The nick ${nick} belongs to a registered account. Log in within ${seconds} seconds (/msg NickServ IDENTIFY <password>, or SASL), or your nick will be changed.`,
  );
}

/** Renames a user whose deadline passed (called by the connection sweeper). */
export function enforceNickDeadline(connection: IrcConnection, now: number): void {
  const user = connection.user;
  if (!user || connection.nickDeadline === 0 || now < connection.nickDeadline) return;
  connection.nickDeadline = 0;
  const core = connection.context.core;
  for (let attempt = 0; attempt < 20; attempt++) {
    const guest = `Guest${randomInt(10000, 100000)}`;
    if (!core.isNickAvailable(guest)) continue;
    const old = user.nick;
    if (core.changeNick(user, guest).ok) {
      serviceNotice(connection, "NickServ", `You did not log in to ${old} in time, so your nick is now ${guest}.`);
      connection.context.log.info({ address: connection.address, from: old, to: guest }, "registered nick enforced");
    }
    return;
  }
}
