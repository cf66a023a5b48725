import type { Account } from "../../core/accounts/ports.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { IrcConnection } from "../connection.js";
import { RPL } from "../numerics.js";
import { foldCase } from "../../core/chat/names.js";
import { storedMessageLine } from "../history-lines.js";
import { withBatch } from "../batch.js";
import { serviceNotice } from "../services/service-bot.js";

/** Most offline direct messages replayed at login; the rest wait for CHATHISTORY. */
const MAX_REPLAYED = 100;

function loggedInMask(connection: IrcConnection): string {
  return connection.user?.hostmask ?? `${connection.nick}!${connection.pending?.username ?? "*"}@${connection.hostname}`;
}

/**
 * The connection is now logged in to `account`, whichever way (SASL, NickServ,
 * REGISTER). Before registration this is only remembered; the rest happens when
 * the user enters the chat (`afterRegistration`).
 */
export async function logIn(connection: IrcConnection, account: Account): Promise<void> {
  connection.account = account;
  connection.numeric(RPL.LOGGEDIN, loggedInMask(connection), account.name, `You are now logged in as ${account.name}`);
  await loadReadMarkers(connection, account);
  const user = connection.user;
  if (!user) return;
  const core = connection.context.core;
  const online = usesMulticlient(connection, account) ? core.multiclientUser(foldCase(account.name)) : undefined;
  if (online && online !== user && user.sessions.size === 1) {
    // The account is online elsewhere: this connection becomes one more of that user.
    // Set first: the user's channels replayed to this connection are then its own.
    connection.user = online;
    core.moveSession(connection, user, online);
    connection.nickDeadline = 0;
    if (online.away !== null) connection.numeric(RPL.NOWAWAY, "You have been marked as being away");
    return;
  }
  core.setAccount(user, account.name);
  applyAccountChoices(connection, user, account);
  if (user.folded === foldCase(account.name)) connection.nickDeadline = 0;
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

/** Whether connections logging in to `account` share one user: the account's choice, else the server's. */
export function usesMulticlient(connection: IrcConnection, account: Account): boolean {
  return account.multiclient ?? connection.context.config.accounts.multiclient;
}

/** The account's multiclient and always-on choices, applied to its user. */
export function applyAccountChoices(connection: IrcConnection, user: ChatUser, account: Account): void {
  user.multiclient = usesMulticlient(connection, account);
  user.alwaysOn = account.alwaysOn ?? connection.context.config.accounts.alwaysOn;
}

export function logOut(connection: IrcConnection): void {
  const account = connection.account;
  if (!account) return;
  connection.account = null;
  if (connection.user) {
    connection.context.core.setAccount(connection.user, null);
    connection.numeric(RPL.LOGGEDOUT, connection.user.hostmask, "You are now logged out");
  }
  void connection.context.accounts.markSeen(account).catch(() => {});
}

/**
 * Direct messages sent to the account while it was offline: a notice says how many;
 * clients without CHATHISTORY get them replayed with their original times.
 */
export async function replayOfflineMessages(connection: IrcConnection, account: Account): Promise<void> {
  const history = connection.context.history;
  if (!history) return;
  const since = account.lastSeenAt ?? account.createdAt;
  let messages;
  try {
    messages = await history.unreadDirect(foldCase(account.name), since, MAX_REPLAYED + 1);
  } catch {
    serviceNotice(connection, "NickServ", "Your stored messages cannot be read right now; try CHATHISTORY later.");
    return;
  }
  if (messages.length === 0 || connection.closed) return;
  const count = messages.length > MAX_REPLAYED ? `more than ${MAX_REPLAYED}` : String(messages.length);
  serviceNotice(connection, "NickServ", `You have ${count} direct message(s) from while you were away.`);
  if (connection.caps.has("draft/chathistory")) return;
  withBatch(connection, "chathistory", [connection.nick], (batch) => {
    for (const message of messages.slice(0, MAX_REPLAYED)) connection.sendLine(storedMessageLine(message, connection.variant, batch));
  });
}
