import type { IrcConnection } from "./connection.js";
import type { NickClaim } from "../core/chat/nick-claims.js";
import { replyFailure } from "./failure-replies.js";
import { ERR } from "./numerics.js";
import { sendWelcome } from "./replies.js";
import { joinChannels } from "./commands/join.js";
import { accountUserToJoin, afterAttach, applyAccountChoices } from "./accounts/login.js";
import { replayOfflineMessages } from "./accounts/replay.js";
import type { Account } from "../core/accounts/ports.js";
import { checkNickOwnership } from "./accounts/nick-ownership.js";
import { refuseServerPassword, serverPasswordAccepted } from "./commands/pass.js";
import { detached } from "../detached.js";

/** Details a client gives before it is registered (IrcConnection.pending). */
export interface PendingRegistration {
  nick: string | null;
  username: string | null;
  realname: string | null;
  /** True between CAP LS/REQ and CAP END: registration waits for the client. */
  capNegotiating: boolean;
}

/**
 * Completes registration once NICK and USER are in and CAP negotiation (if any)
 * has ended: the user enters the chat core, gets the welcome burst and joins the
 * default channels.
 */
export function tryCompleteRegistration(connection: IrcConnection): void | Promise<void> {
  const pending = connection.pending;
  if (!pending || pending.capNegotiating || pending.nick === null || pending.username === null) return;
  if (!serverPasswordAccepted(connection)) {
    refuseServerPassword(connection, "missing");
    return;
  }
  // IRCv3 SASL 3.1: registration ends an exchange still under way, which then never logs in.
  if (connection.sasl) {
    connection.sasl = null;
    connection.numeric(ERR.SASLABORTED, "SASL authentication aborted");
  }
  if (connection.account && attachToOnlineUser(connection, connection.account)) return;
  // In a cluster the nick is claimed across nodes first (the connection reads nothing
  // more until this is answered); a node on its own answers at once.
  const nick = pending.nick;
  const claim = connection.context.nickClaims.claim(nick);
  if (typeof claim === "string") return afterClaim(connection, pending, nick, claim);
  return claim.then((result) => afterClaim(connection, pending, nick, result));
}

function afterClaim(connection: IrcConnection, pending: PendingRegistration, nick: string, claim: NickClaim): void {
  const claims = connection.context.nickClaims;
  if (connection.closed || connection.pending !== pending || pending.nick !== nick) {
    if (claim === "ok") claims.release(nick);
    return;
  }
  // The nick is given up before the reply, which names the client "*" as it is still unregistered.
  if (claim !== "ok") {
    pending.nick = null;
    refuseClaim(connection, claim, nick);
    return;
  }
  const result = connection.context.core.connect(connection, {
    nick,
    username: pending.username ?? "",
    realname: pending.realname ?? "",
    hostname: connection.hostname,
    address: connection.address,
    secure: connection.secure,
  });
  if (!result.ok) {
    // Someone took the nick between NICK and USER; the client must pick another.
    claims.release(nick);
    pending.nick = null;
    replyFailure(connection, result.reason, nick);
    return;
  }
  connection.user = result.user;
  connection.pending = null;
  // Logged in before registering (SASL, REGISTER): the user enters the chat with its account.
  if (connection.account) {
    connection.context.core.setAccount(result.user, connection.account.name);
    applyAccountChoices(connection, result.user, connection.account);
  }
  connection.context.log.info({ address: connection.address, nick: result.user.nick, secure: connection.secure }, "irc client registered");
  sendWelcome(connection, result.user);
  const channels = connection.context.config.irc.defaultChannels;
  if (channels.length > 0) joinChannels(connection, result.user, [...channels], []);
  const failed = followUpFailed(connection);
  if (connection.account) detached(replayOfflineMessages(connection, connection.account), failed);
  detached(checkNickOwnership(connection), failed);
}

/** What a failed follow-up of a command (a replay, a nick check) does: logged, the connection goes on. */
export function followUpFailed(connection: IrcConnection): (error: unknown) => void {
  return (error) => connection.context.log.error({ err: error, address: connection.address }, "irc follow-up failed");
}

/** A nick the cluster did not give: 433 when another node's user holds it, FAIL when the cluster cannot answer. */
export function refuseClaim(connection: IrcConnection, claim: Exclude<NickClaim, "ok">, nick: string): void {
  if (claim === "taken") replyFailure(connection, "nick-in-use", nick);
  else connection.serverLine("FAIL", "NICK", "TEMPORARILY_UNAVAILABLE", nick, "The cluster cannot be reached to claim this nick; try again in a moment");
}

/**
 * Multiclient: a connection that logged in (SASL) to an account whose user is online
 * becomes one more connection of that user, under its nick, in its channels.
 */
function attachToOnlineUser(connection: IrcConnection, account: Account): boolean {
  const user = accountUserToJoin(connection, account);
  if (!user) return false;
  connection.user = user;
  connection.pending = null;
  connection.context.log.info({ address: connection.address, nick: user.nick, secure: connection.secure, sessions: user.sessionCount + 1 }, "irc client attached to its account's user");
  sendWelcome(connection, user);
  const { missedSince } = connection.context.core.attach(user, connection);
  detached(afterAttach(connection, user, missedSince), followUpFailed(connection));
  return true;
}
