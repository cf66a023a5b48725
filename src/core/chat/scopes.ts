/** Who an event of the chat core reaches: the scopes (bus.ts) its parts publish to. */
import type { Scope } from "./bus.js";
import type { Channel } from "./channel.js";
import { foldCase } from "./names.js";
import type { ChatUser } from "./user.js";

/** Every member of `channel`. */
export function channelScope(channel: Channel): Scope {
  return { kind: "channel", channel: channel.folded };
}

/** Everyone who shares a channel with `user`, and with `self` the user's own sessions too. */
export function peersScope(user: ChatUser, self: boolean): Scope {
  return { kind: "channels", channels: [...user.channels.keys()], user: self ? user.id : undefined };
}

/** `peersScope`, plus the sessions watching the user's nick (IRCv3 extended-monitor; each adapter decides whether to show it). */
export function peersAndWatchersScope(user: ChatUser, self: boolean): Scope {
  return { kind: "channels", channels: [...user.channels.keys()], user: self ? user.id : undefined, watchedNick: user.folded };
}

/** The sessions watching `nick` (MONITOR). */
export function watchersScope(nick: string): Scope {
  return { kind: "watchers", nick: foldCase(nick) };
}
