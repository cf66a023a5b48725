import type { Config } from "../config/schema.js";
import { ACCOUNTEXTBAN, CHANMODES, EXTBAN, PREFIX, STATUSMSG } from "./modes.js";
import { CHATHISTORY_MAX } from "./commands/chathistory.js";
import { textLimits } from "./text-limits.js";

/**
 * RPL_ISUPPORT (005) tokens, true to the limits in the config. `vapidPublicKey`: the
 * server's VAPID key when Web Push is on (draft/webpush), advertised to every client.
 */
export function isupportTokens(config: Config, vapidPublicKey: string | null = null): string[] {
  const irc = config.irc;
  const texts = textLimits(irc);
  const t = irc.maxTargets;
  return [
    `ACCOUNTEXTBAN=${ACCOUNTEXTBAN}`,
    `AWAYLEN=${texts.awayLength}`,
    "BOT=B",
    "CASEMAPPING=ascii",
    `CHANLIMIT=#:${irc.maxChannelsPerUser}`,
    ...(config.history.enabled ? [`CHATHISTORY=${CHATHISTORY_MAX}`, "MSGREFTYPES=timestamp,msgid"] : []),
    `CHANMODES=${CHANMODES}`,
    `CHANNELLEN=${irc.channelLength}`,
    "CHANTYPES=#",
    "ELIST=MNU",
    "EXCEPTS=e",
    `EXTBAN=${EXTBAN}`,
    "INVEX=I",
    `KICKLEN=${texts.kickLength}`,
    // Per list: `beI:n` would mean n entries for the three lists together, where each takes n.
    `MAXLIST=b:${irc.maxListEntries},e:${irc.maxListEntries},I:${irc.maxListEntries}`,
    `MAXTARGETS=${t}`,
    `MODES=${irc.maxModesPerCommand}`,
    `MONITOR=${irc.maxMonitorEntries}`,
    `NETWORK=${config.server.network}`,
    `NICKLEN=${irc.nickLength}`,
    `PREFIX=${PREFIX}`,
    "SAFELIST",
    `STATUSMSG=${STATUSMSG}`,
    `TARGMAX=JOIN:${irc.maxChannelsPerUser},KICK:${t},LIST:,NAMES:1,NOTICE:${t},PART:${irc.maxChannelsPerUser},PRIVMSG:${t},TAGMSG:${t},WHOIS:1,USERHOST:5,ISON:`,
    `TOPICLEN=${texts.topicLength}`,
    `USERLEN=${irc.userLength}`,
    "UTF8ONLY",
    ...(vapidPublicKey !== null ? [`VAPID=${vapidPublicKey}`] : []),
    "WHOX",
  ];
}
