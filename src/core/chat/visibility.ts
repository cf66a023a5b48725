import type { Channel, Membership } from "./channel.js";
import type { ChatUser } from "./user.js";

/**
 * Who may see what of a channel: one rule for every door (IRC LIST, NAMES, WHO,
 * WHOIS, TOPIC, MODE; the HTTP channel list). A secret (+s) channel is seen only
 * by its members and operators.
 */
export function channelVisibleTo(channel: Channel, viewer: ChatUser): boolean {
  return !channel.flags.has("secret") || channel.has(viewer) || viewer.isOperator;
}

/**
 * Whether `viewer` is answered about `channel` as if it did not exist (403): a secret
 * channel seen from outside. Any other refusal to an outsider (not on that channel, cannot
 * send) would tell it the channel is there.
 */
export function hiddenFrom(channel: Channel | undefined, viewer: ChatUser): boolean {
  return channel !== undefined && !channelVisibleTo(channel, viewer);
}

/** Whether anyone at all may see the channel without being in it (the public list). */
export function channelIsPublic(channel: Channel): boolean {
  return !channel.flags.has("secret");
}

/**
 * The members `viewer` may see (NAMES, WHO #channel): every one for a member, those
 * without +i for anyone else, none when the channel itself is hidden from the viewer.
 */
export function visibleMembers(channel: Channel, viewer: ChatUser): Array<[ChatUser, Membership]> {
  if (!channelVisibleTo(channel, viewer)) return [];
  const all = [...channel.members];
  return channel.has(viewer) ? all : all.filter(([member]) => !member.invisible);
}

/** Whether the two users share a channel (what makes presence changes visible without MONITOR's extension). */
export function shareChannel(a: ChatUser, b: ChatUser): boolean {
  const [smaller, other] = a.channels.size <= b.channels.size ? [a, b] : [b, a];
  for (const channel of smaller.channels.values()) if (channel.has(other)) return true;
  return false;
}
