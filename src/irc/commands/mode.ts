import type { ChatUser } from "../../core/chat/user.js";
import type { Channel, ListMode } from "../../core/chat/channel.js";
import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { ERR, RPL } from "../numerics.js";
import { replyFailure } from "../failure-replies.js";
import { CHANNEL_MODE_LETTERS, USER_MODES, parseChannelModes } from "../modes.js";
import { showOwnModeChange } from "../irc-sessions.js";
import { channelVisibleTo } from "../../core/chat/visibility.js";

const listReplies: Record<ListMode, readonly [string, string, string]> = {
  ban: [RPL.BANLIST, RPL.ENDOFBANLIST, "End of channel ban list"],
  exception: [RPL.EXCEPTLIST, RPL.ENDOFEXCEPTLIST, "End of channel exception list"],
  "invite-exception": [RPL.INVITELIST, RPL.ENDOFINVITELIST, "End of channel invite list"],
};

function userModeString(user: ChatUser): string {
  return `+${user.bot ? "B" : ""}${user.invisible ? "i" : ""}${user.isOperator ? "o" : ""}${user.wallops ? "w" : ""}`;
}

function channelModeReply(connection: IrcConnection, user: ChatUser, channel: Channel): void {
  let letters = "+";
  const params: string[] = [];
  for (const flag of channel.flags) letters += CHANNEL_MODE_LETTERS.flag[flag];
  const member = channel.has(user);
  if (channel.key !== null) {
    letters += "k";
    params.push(member ? channel.key : "*");
  }
  if (channel.limit !== null) {
    letters += "l";
    params.push(String(channel.limit));
  }
  connection.numeric(RPL.CHANNELMODEIS, channel.name, letters, ...params);
  connection.numeric(RPL.CREATIONTIME, channel.name, String(Math.floor(channel.createdAt / 1000)));
}

function userMode(connection: IrcConnection, user: ChatUser, params: readonly string[]): void {
  const target = connection.context.core.findUser(params[0]!);
  if (!target) {
    replyFailure(connection, "no-such-nick", params[0]!);
    return;
  }
  if (target !== user) {
    connection.numeric(ERR.USERSDONTMATCH, params.length > 1 ? "Can't change mode for other users" : "Can't view modes for other users");
    return;
  }
  const modeText = params[1];
  if (modeText === undefined) {
    connection.numeric(RPL.UMODEIS, userModeString(user));
    return;
  }
  let on = true;
  let changed = "";
  let sign = "";
  let unknown = false;
  for (const letter of modeText) {
    if (letter === "+" || letter === "-") {
      on = letter === "+";
      continue;
    }
    let applied = false;
    if (letter === "i" && user.invisible !== on) {
      user.invisible = on;
      applied = true;
    } else if (letter === "w" && user.wallops !== on) {
      user.wallops = on;
      applied = true;
    } else if (letter === "B" && user.bot !== on) {
      user.setBot(on);
      applied = true;
    } else if (letter === "o" && !on && user.isOperator) {
      // Operator status is only ever given by OPER; a client may drop it.
      user.isOperator = false;
      user.operatorBlock = null;
      applied = true;
    } else if (!USER_MODES.includes(letter)) {
      unknown = true;
    }
    if (applied) {
      const wanted = on ? "+" : "-";
      if (wanted !== sign) changed += sign = wanted;
      changed += letter;
    }
  }
  if (unknown) connection.numeric(ERR.UMODEUNKNOWNFLAG, "Unknown MODE flag");
  if (changed) {
    connection.context.core.userModesChanged(user);
    showOwnModeChange(connection, user, changed);
  }
}

function channelMode(connection: IrcConnection, user: ChatUser, params: readonly string[]): void {
  const core = connection.context.core;
  const name = params[0]!;
  const channel = core.findChannel(name);
  if (!channel || !channelVisibleTo(channel, user)) {
    replyFailure(connection, "no-such-channel", name);
    return;
  }
  if (params.length < 2) {
    channelModeReply(connection, user, channel);
    return;
  }
  const maxModes = connection.context.config.irc.maxModesPerCommand;
  const parsed = parseChannelModes(params[1]!, params.slice(2), maxModes);
  // One line must not buy hundreds of replies (distinct unknown letters, a refusal per
  // change): like InspIRCd and Ergo, at most MODES error lines answer one MODE command.
  const errors = new ErrorBudget(maxModes);
  for (const letter of parsed.unknown) errors.reply(() => connection.numeric(ERR.UNKNOWNMODE, letter, "is unknown mode char to me"));
  for (const letter of parsed.missingParam) {
    const param = echoableParam(parsed.rejectedParams.get(letter));
    errors.reply(() => connection.numeric(ERR.INVALIDMODEPARAM, channel.name, letter, param, "Missing or invalid parameter"));
  }
  for (const mode of parsed.listQueries) {
    const [entry, end, text] = listReplies[mode];
    for (const item of channel.lists[mode]) connection.numeric(entry, channel.name, item.mask, item.setBy, String(Math.floor(item.setAt / 1000)));
    connection.numeric(end, channel.name, text);
  }
  if (parsed.requests.length === 0) return;
  const result = core.changeModes(user, channel.name, parsed.requests);
  if (!result.ok) {
    replyFailure(connection, result.reason, channel.name);
    return;
  }
  for (const error of result.errors) {
    errors.reply(() => {
      if (error.reason === "no-such-nick") replyFailure(connection, error.reason, error.nick);
      else if (error.reason === "user-not-on-channel") replyFailure(connection, error.reason, error.nick, channel.name);
      else replyFailure(connection, error.reason, channel.name, error.mask);
    });
  }
}

/** The longest refused parameter 696 repeats: a list mask's own limit (modes.ts). */
const MAX_ECHOED_PARAM = 128;

/**
 * 696's `<parameter>` (modern.ircdocs.horse): the refused one as the client gave it, or `*`
 * when there was none or it is longer than any valid one (one that cannot stand as a middle
 * parameter, a space in it or a leading `:`, formatLine writes as `*` itself).
 */
function echoableParam(param: string | undefined): string {
  return param === undefined || param.length > MAX_ECHOED_PARAM ? "*" : param;
}

/** Counts the error replies of one command and drops those past its limit. */
class ErrorBudget {
  #left: number;
  constructor(limit: number) {
    this.#left = limit;
  }
  reply(send: () => void): void {
    if (this.#left <= 0) return;
    this.#left--;
    send();
  }
}

export const mode: RegisteredCommand = {
  name: "MODE",
  minParams: 1,
  when: "registered",
  help: "MODE <#channel>|<nick> [<modes> [<params>…]] — show or change channel or user modes",
  run(connection, user, params) {
    if (params[0]!.startsWith("#")) channelMode(connection, user, params);
    else userMode(connection, user, params);
  },
};
