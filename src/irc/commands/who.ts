import type { ChatUser } from "../../core/chat/user.js";
import type { Channel } from "../../core/chat/channel.js";
import type { RegisteredCommand } from "../command.js";
import type { IrcConnection } from "../connection.js";
import { RPL } from "../numerics.js";
import { maskMatches } from "../../core/chat/mask.js";
import { memberPrefix } from "../replies.js";
import { visibleMembers } from "../../core/chat/visibility.js";

/** WHOX field letters in the order the spec says they are sent. */
const WHOX_ORDER = "tcuihsnfdlaor";

interface WhoxRequest {
  readonly fields: string;
  readonly token: string;
}

/**
 * WHO's second parameter, `[flags][%fields[,token]]` (ircu WHOX): the flags before `%`
 * (`o`: operators only) and the WHOX request after it, null without a `%` (plain 352).
 */
function parseWhoOptions(text: string | undefined): { operatorsOnly: boolean; whox: WhoxRequest | null } {
  if (text === undefined) return { operatorsOnly: false, whox: null };
  const percent = text.indexOf("%");
  const operatorsOnly = (percent === -1 ? text : text.slice(0, percent)).includes("o");
  if (percent === -1) return { operatorsOnly, whox: null };
  const [fields = "", token = "0"] = text.slice(percent + 1).split(",");
  return { operatorsOnly, whox: { fields, token: /^\d{1,3}$/.test(token) ? token : "0" } };
}

function flags(connection: IrcConnection, target: ChatUser, channel: Channel | null): string {
  let text = target.away ? "G" : "H";
  if (target.isOperator) text += "*";
  // IRCv3 bot-mode: the BOT= letter among the flags, before the channel prefix.
  if (target.bot) text += "B";
  if (channel) text += memberPrefix(channel, target, connection.caps.has("multi-prefix"));
  return text;
}

function reply(connection: IrcConnection, target: ChatUser, channel: Channel | null, whox: WhoxRequest | null): void {
  connection.sendLine(replyLine(connection, target, channel, whox));
}

/** The RPL_WHOREPLY (or WHOX RPL_WHOSPCRPL) line for `target`. */
function replyLine(connection: IrcConnection, target: ChatUser, channel: Channel | null, whox: WhoxRequest | null): string {
  const server = connection.context.serverName;
  const channelName = channel?.name ?? "*";
  if (!whox) {
    return connection.numericLine(RPL.WHOREPLY, channelName, target.username, target.hostname, server, target.nick, flags(connection, target, channel), `0 ${target.realname}`);
  }
  const values: Record<string, string> = {
    t: whox.token,
    c: channelName,
    u: target.username,
    i: target.hostname,
    h: target.hostname,
    s: server,
    n: target.nick,
    f: flags(connection, target, channel),
    d: "0",
    l: String(Math.floor((Date.now() - target.lastActive) / 1000)),
    a: target.account ?? "0",
    o: "n/a",
    r: target.realname,
  };
  const params = [...WHOX_ORDER].filter((f) => whox.fields.includes(f)).map((f) => values[f]!);
  return connection.numericLine(RPL.WHOSPCRPL, ...params);
}

/** The WHO reply for a channel, RPL_ENDOFWHO included, made as it is written. */
function* channelLines(connection: IrcConnection, user: ChatUser, mask: string, whox: WhoxRequest | null, operatorsOnly: boolean): Generator<string> {
  const channel = connection.context.core.findChannel(mask);
  if (channel) {
    // A copy (visibleMembers makes one): the members may change between the paced reply's turns.
    for (const [member] of visibleMembers(channel, user)) {
      if (operatorsOnly && !member.isOperator) continue;
      yield replyLine(connection, member, channel, whox);
    }
  }
  yield connection.numericLine(RPL.ENDOFWHO, mask, "End of WHO list");
}

export const who: RegisteredCommand = {
  name: "WHO",
  minParams: 0,
  when: "registered",
  help: "WHO <#channel>|<mask> [o][%fields[,token]] — list users (WHOX supported)",
  run(connection, user, params) {
    const mask = params[0] ?? "*";
    const { operatorsOnly, whox } = parseWhoOptions(params[1]);
    const core = connection.context.core;
    if (mask.startsWith("#")) {
      // Paced: the WHO of a big channel is many times the send queue.
      connection.sendPaced(channelLines(connection, user, mask, whox, operatorsOnly));
      return;
    }
    // RFC 2812 3.6.1: "0" matches all, as "*" does; the end of the list names the mask as asked.
    const pattern = mask === "0" ? "*" : mask;
    const exact = core.findUser(pattern);
    if (exact) {
      if (!operatorsOnly || exact.isOperator) reply(connection, exact, null, whox);
    } else if (pattern.includes("*") || pattern.includes("?")) {
      const peers = core.peersOf(user);
      let sent = 0;
      for (const candidate of core.users()) {
        if (candidate.invisible && candidate !== user && !peers.has(candidate)) continue;
        if (operatorsOnly && !candidate.isOperator) continue;
        if (![candidate.nick, candidate.hostmask, candidate.hostname, candidate.realname].some((v) => maskMatches(pattern, v))) continue;
        reply(connection, candidate, null, whox);
        // Bound the reply so a "WHO *" on a big server cannot flood the send queue.
        if (++sent >= 200) break;
      }
    }
    connection.numeric(RPL.ENDOFWHO, mask, "End of WHO list");
  },
};
