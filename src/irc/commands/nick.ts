import type { AnytimeCommand } from "../command.js";
import { ERR } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { followUpFailed, refuseClaim, tryCompleteRegistration } from "../registration.js";
import { foldCase } from "../../core/chat/names.js";
import type { NickClaim } from "../../core/chat/nick-claims.js";
import type { IrcConnection } from "../connection.js";
import type { IrcServerContext } from "../server-context.js";
import type { ChatUser } from "../../core/chat/user.js";
import type { Channel } from "../../core/chat/channel.js";
import { isValidNick } from "../../core/chat/names.js";
import { checkNickOwnership } from "../accounts/nick-ownership.js";
import { detached } from "../../detached.js";

export const nick: AnytimeCommand = {
  name: "NICK",
  minParams: 0,
  when: "any",
  help: "NICK <nickname> — choose or change your nickname",
  run(connection, params) {
    const wanted = params[0];
    if (!wanted) {
      connection.numeric(ERR.NONICKNAMEGIVEN, "No nickname given");
      return;
    }
    const core = connection.context.core;
    if (connection.user) {
      const user = connection.user;
      const acceptable = isValidNick(wanted, core.limits.nickLength) && core.isNickAvailable(wanted, user);
      // A name refused for itself (432, 433) is answered as such first, as in Solanum.
      const banning = acceptable && wanted !== user.nick ? channelHoldingNick(user) : undefined;
      if (banning) {
        connection.numeric(ERR.BANNICKCHANGE, banning.name, "Cannot change nickname while banned on channel");
        return;
      }
      // Only a new name is claimed across a cluster; a change of case keeps the claim.
      if (foldCase(wanted) === user.folded || !acceptable) return changeNick(connection, wanted, "ok", NOT_CLAIMED);
      // A session here of a user of another node claims for that node, which holds the user's nicks.
      const owner = user.node;
      const claim = connection.context.nickClaims.claim(wanted, owner);
      if (typeof claim === "string") return changeNick(connection, wanted, claim, owner);
      return claim.then((result) => changeNick(connection, wanted, result, owner));
    }
    if (!isValidNick(wanted, core.limits.nickLength)) {
      replyFailure(connection, "erroneous-nick", wanted);
      return;
    }
    // While CAP negotiation holds registration, a SASL login may still attach this
    // connection to its account's online user (multiclient), whose nick it is; a login
    // made already (PASS account:password) may attach it so too. The check then waits
    // for the end of registration, which answers 433 if it still applies.
    if (!core.isNickAvailable(wanted) && !connection.pending!.capNegotiating && !connection.account) {
      replyFailure(connection, "nick-in-use", wanted);
      return;
    }
    connection.pending!.nick = wanted;
    return tryCompleteRegistration(connection);
  },
};


/**
 * A channel `user` is in whose ban matches it, voice, op and exceptions (+e) aside: one
 * where it may not speak. A ban matches the nick as it is when the user speaks, so a new
 * nick would slip past a nick ban; hybrid, Solanum and InspIRCd (restrictbannedusers)
 * refuse the change while the ban holds.
 */
function channelHoldingNick(user: ChatUser): Channel | undefined {
  for (const channel of user.channels.values()) {
    const membership = channel.membership(user);
    if (membership && !membership.op && !membership.voice && channel.isBanned(user)) return channel;
  }
  return undefined;
}

/** No claim was asked for (same nick, invalid, or in use here): nothing to give back. */
const NOT_CLAIMED = Symbol("not claimed");

/** `owner`: the node the nick was claimed for (null: this one), or NOT_CLAIMED. */
function changeNick(connection: IrcConnection, wanted: string, claim: NickClaim, owner: string | null | typeof NOT_CLAIMED): void {
  const user = connection.user;
  const giveBack = (): void => {
    if (claim === "ok" && owner !== NOT_CLAIMED) connection.context.nickClaims.release(wanted, owner);
  };
  if (!user || connection.closed) {
    giveBack();
    return;
  }
  if (claim !== "ok") {
    refuseClaim(connection, claim, wanted);
    return;
  }
  const result = connection.context.core.changeNick(user, wanted);
  if (!result.ok) {
    giveBack();
    replyFailure(connection, result.reason, wanted);
  } else if (result.changed) detached(checkNickOwnership(connection), followUpFailed(connection));
}

/**
 * A rename the server makes (nick enforcement), by the same path as NICK: `wanted` is
 * claimed across the cluster first, for the node that holds the user's nicks, then
 * the core renames the user, which every node and watcher sees. `stillDue` is asked
 * after the claim (which may wait for the cluster): false gives the claim back.
 * Returns the claim's refusal, a failure of the core, or "renamed".
 */
export async function renameByServer(
  context: IrcServerContext,
  user: ChatUser,
  wanted: string,
  stillDue: () => boolean,
): Promise<"renamed" | "cancelled" | Exclude<NickClaim, "ok"> | "erroneous-nick" | "nick-in-use"> {
  const owner = user.node;
  const claim = await context.nickClaims.claim(wanted, owner);
  if (claim !== "ok") return claim;
  if (!stillDue()) {
    context.nickClaims.release(wanted, owner);
    return "cancelled";
  }
  const result = context.core.changeNick(user, wanted);
  if (result.ok) return "renamed";
  context.nickClaims.release(wanted, owner);
  return result.reason;
}
