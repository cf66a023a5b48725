import type { Account } from "../../core/accounts/ports.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { showOwnModeChange } from "../irc-sessions.js";
import { operatorHostAllowed } from "../commands/oper.js";
import { RPL } from "../numerics.js";
import { foldCase } from "../../core/chat/names.js";
import { replayMissed, replayOfflineMessages } from "./replay.js";

function loggedInMask(connection: IrcConnection): string {
  return connection.user?.hostmask ?? `${connection.nick}!${connection.pending?.username ?? "*"}@${connection.hostname}`;
}

/**
 * The connection is now logged in to `account`, whichever way (SASL, NickServ,
 * REGISTER). Before registration this is only remembered; the rest happens when
 * the user enters the chat (`afterRegistration`). `announce` is the way's own word
 * of it (NickServ's NOTICE), sent just before the 900.
 */
export async function logIn(connection: IrcConnection, account: Account, announce?: () => void): Promise<void> {
  connection.account = account;
  const loggedIn = (): void => {
    announce?.();
    connection.numeric(RPL.LOGGEDIN, loggedInMask(connection), account.name, `You are now logged in as ${account.name}`);
  };
  const user = connection.user;
  if (!user) {
    loggedIn();
    await loadReadMarkers(connection, account);
    return;
  }
  // Joining the account's online user renames the connection: the 900 (and announce) wait
  // until then, so they address the nick the client now has. The rename's PART, NICK and
  // JOIN go out at once, a labelled command's replies when it ends: written before, they
  // would come after the NICK, addressed to the nick it left.
  await loadReadMarkers(connection, account);
  const core = connection.context.core;
  const online = accountUserToJoin(connection, account);
  if (online && online !== user && user.sessionCount === 1) {
    // The account is online elsewhere: this connection becomes one more of that user.
    // Set first: the user's channels replayed to this connection are then its own.
    connection.user = online;
    const { missedSince } = core.moveSession(connection, user, online);
    loggedIn();
    await afterAttach(connection, online, missedSince);
    return;
  }
  loggedIn();
  core.setAccount(user, account.name);
  applyAccountChoices(connection, user, account);
  if (user.folded === foldCase(account.name)) user.nickDeadline = 0;
  await replayOfflineMessages(connection, account);
}

/** Reads the account's read markers into the cache, so JOINs can carry them at once; a failure is only logged (they are read later). */
async function loadReadMarkers(connection: IrcConnection, account: Account): Promise<void> {
  try {
    await connection.context.readMarkers.load(account.name);
  } catch (error) {
    connection.context.log.warn({ err: error, account: account.name }, "read markers could not be loaded at login");
  }
}

/**
 * The online user a connection logging in to `account` becomes one more connection of:
 * with multiclient, the account's user; in any case an always-on user with no connection.
 */
export function accountUserToJoin(connection: IrcConnection, account: Account): ChatUser | undefined {
  return connection.context.core.multiclientUser(foldCase(account.name), usesMulticlient(connection, account));
}

/** A connection joined its account's user: it learns the away state, and is shown what it missed. */
export async function afterAttach(connection: IrcConnection, user: ChatUser, missedSince: number | null): Promise<void> {
  if (user.isOperator && !operatorHostAllowed(connection, user.operatorBlock, user.username)) dropOperator(connection, user);
  if (user.away !== null) connection.numeric(RPL.NOWAWAY, "You have been marked as being away");
  if (missedSince !== null) await replayMissed(connection, user, missedSince);
}

/**
 * The user's operator status ends: a connection joined it from a host its operator block
 * does not allow (the account's password alone never makes an operator). Every IRC
 * connection of the user is told, as a MODE -o, and this one why.
 */
function dropOperator(connection: IrcConnection, user: ChatUser): void {
  user.isOperator = false;
  user.operatorBlock = null;
  connection.context.core.userModesChanged(user);
  // The user's other connections are told whatever they are running; this one, as part of its login's reply.
  showOwnModeChange(connection, user, "-o");
  connection.serverLine("NOTICE", user.nick, "Operator status ended: this connection's host is not one the operator block allows; use OPER from an allowed host");
}

/** Whether connections logging in to `account` share one user: the account's choice, else the server's. */
export function usesMulticlient(connection: IrcConnection, account: Account): boolean {
  return account.multiclient ?? connection.context.config.accounts.multiclient;
}

/** The account's multiclient and always-on choices, applied to its user. */
export function applyAccountChoices(connection: IrcConnection, user: ChatUser, account: Account): void {
  connection.context.core.setMulticlient(user, usesMulticlient(connection, account));
  connection.context.core.setAlwaysOn(user, account.alwaysOn ?? connection.context.config.accounts.alwaysOn);
}

export function logOut(connection: IrcConnection): void {
  const account = connection.account;
  if (!account) return;
  connection.account = null;
  if (connection.user) {
    // Always-on is the account's: a guest left behind would hold the nick and channels with
    // no connection, and the account's next login would not find its user. Forgotten first,
    // while the user still names the account whose stored record goes.
    connection.context.core.setAlwaysOn(connection.user, false);
    connection.context.core.setAccount(connection.user, null);
    connection.numeric(RPL.LOGGEDOUT, connection.user.hostmask, "You are now logged out");
  }
  void connection.context.accounts.markSeen(account).catch(() => {});
}
