import { foldCase } from "../core/chat/names.js";
import type { IrcConnection } from "./connection.js";
import { ERR } from "./numerics.js";
import { splitList } from "./replies.js";

/** A channel named in a JOIN or PART list, with its JOIN key (by position) if any. */
export interface ChannelTarget {
  readonly name: string;
  readonly key: string | undefined;
}

/**
 * The channels of a JOIN/PART list, each once: the most targets one command may name is
 * `irc.maxChannelsPerUser` (TARGMAX JOIN:/PART:) — no one can be in more channels than
 * that, so a longer list is never needed. Past it the client gets one 407 and nothing is
 * done (as KICK and PRIVMSG), so `JOIN x,x,x,…` — 250 targets on a 510-byte line — buys
 * one error line, not 250. Within it, a channel named again is skipped (as InspIRCd's
 * target loop does): answered once. Returns null when the list was refused.
 */
export function channelTargets(connection: IrcConnection, list: string, keys: readonly string[] = []): ChannelTarget[] | null {
  const names = splitList(list);
  // Counted as sent, repeats included: TARGMAX is how clients split their lists.
  if (names.length > connection.context.config.irc.maxChannelsPerUser) {
    // The first name, not the whole list: a 500-byte list echoed back would overflow the reply line.
    connection.numeric(ERR.TOOMANYTARGETS, names[0]!, "Too many targets");
    return null;
  }
  const seen = new Set<string>();
  const targets: ChannelTarget[] = [];
  names.forEach((name, index) => {
    const folded = foldCase(name);
    if (seen.has(folded)) return;
    seen.add(folded);
    targets.push({ name, key: keys[index] });
  });
  return targets;
}
