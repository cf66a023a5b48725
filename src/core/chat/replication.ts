import type { Channel, FlagMode, ListEntry, ListMode, MemberMode, Membership, Topic } from "./channel.js";
import type { ChatUser } from "./user.js";
import type { AppliedModeChange } from "./events.js";
import type { NewUser } from "./chat-core.js";

/**
 * The state changes a node tells the other nodes of a cluster, so that each keeps a
 * replica of who is online and who is in which channel (as linked IRC servers do).
 * Plain JSON. Events (what sessions are shown) travel separately as publications; an
 * op is sent just before or after its event, in the order the core made them, and a
 * bus between nodes keeps that order per node.
 */
export type StateOp =
  /** A user came online on the sending node (or changed something a snapshot carries). */
  | { readonly op: "user"; readonly user: UserSnapshot }
  | { readonly op: "quit"; readonly user: string; readonly nick: string; readonly reason: string }
  | { readonly op: "nick"; readonly user: string; readonly nick: string; readonly oldNick: string }
  | { readonly op: "fields"; readonly user: string; readonly fields: UserFields }
  | { readonly op: "join"; readonly user: string; readonly channel: string; readonly createdAt: number; readonly chanop: boolean; readonly voice: boolean; readonly stamp: Stamp; readonly state: ChannelState | null }
  | { readonly op: "part"; readonly user: string; readonly channel: string }
  /** A kick of a user of the receiving node, asked for by a channel operator on the sending node. */
  | { readonly op: "kick"; readonly by: string; readonly user: string; readonly channel: string; readonly reason: string }
  /**
   * A channel's topic or modes changed: its whole state, newest stamp wins everywhere. With
   * `changes` (its modes changed), those are applied instead of the state's modes, as a delta
   * at `stamp`: a list entry is added or removed whatever the stamps, a flag, the key or the
   * limit changed when newer than its own last change. Two nodes setting a ban each at once
   * then both keep both, where the newest whole state would drop one.
   */
  | { readonly op: "channel"; readonly state: ChannelState; readonly changes?: readonly AppliedModeChange[]; readonly stamp?: Stamp }
  | { readonly op: "invite"; readonly channel: string; readonly user: string }
  /**
   * The sending node holds a session of a user of another node now (multiclient across nodes), or
   * no longer: `reason` is why its last session there ended, the user's QUIT if none is left anywhere
   * (absent from a node of an earlier version).
   */
  | { readonly op: "attach"; readonly user: string }
  | { readonly op: "detach"; readonly user: string; readonly reason?: string };

/** What can change about an online user besides its nick and channels. */
export interface UserFields {
  readonly away?: string | null;
  readonly account?: string | null;
  readonly realname?: string;
  readonly isOperator?: boolean;
  readonly invisible?: boolean;
  readonly wallops?: boolean;
  readonly bot?: boolean;
  readonly multiclient?: boolean;
}

/** A user as another node needs it: what it connected with, and what it has changed since. */
export interface UserSnapshot extends NewUser {
  readonly id: string;
  readonly signedOnAt: number;
  readonly account: string | null;
  readonly away: string | null;
  readonly isOperator: boolean;
  readonly invisible: boolean;
  readonly wallops: boolean;
  readonly bot: boolean;
  readonly multiclient: boolean;
}

/** Orders concurrent changes of one channel's state the same way on every node. */
export interface Stamp {
  readonly time: number;
  readonly msgid: string;
}

/**
 * A channel's topic, its modes and each member's op and voice, each with the stamp of its
 * last change: where nodes changed one channel at the same moment, every node keeps the
 * newest of each part, so all end alike.
 */
export interface ChannelState {
  readonly name: string;
  readonly createdAt: number;
  readonly topic: Topic | null;
  readonly topicStamp: Stamp;
  readonly flags: readonly FlagMode[];
  readonly key: string | null;
  readonly limit: number | null;
  readonly lists: Readonly<Record<ListMode, readonly ListEntry[]>>;
  readonly modesStamp: Stamp;
  /**
   * Every member's rank as the sending node knew it; a member it did not know keeps its own.
   * The stamp is the newer of its op's and its voice's: a node of an earlier version takes it
   * for both (a tuple longer than it knows would fail its check of the message).
   */
  readonly ranks: ReadonlyArray<readonly [id: string, op: boolean, voice: boolean, stamp: Stamp]>;
  /**
   * The members whose op and voice last changed at different stamps, with each; the others'
   * are both the rank's. Absent from a node of an earlier version, which kept one stamp a rank.
   */
  readonly rankStamps?: ReadonlyArray<readonly [id: string, op: Stamp, voice: Stamp]>;
}

/** Everything one node holds: its own users with their channels, and those channels' state. */
export interface NodeSnapshot {
  readonly users: ReadonlyArray<{ readonly user: UserSnapshot; readonly channels: ReadonlyArray<readonly [name: string, createdAt: number, op: boolean, voice: boolean]> }>;
  readonly channels: readonly ChannelState[];
  /** Users of other nodes this node holds sessions of (multiclient across nodes). */
  readonly attached?: readonly string[];
}

/** The state a channel is created with: older than any change. */
export const CREATION_STAMP: Stamp = Object.freeze({ time: 0, msgid: "" });

export function isNewer(a: Stamp, b: Stamp | null): boolean {
  if (b === null) return true;
  return a.time !== b.time ? a.time > b.time : a.msgid > b.msgid;
}

export function userSnapshot(user: ChatUser): UserSnapshot {
  return {
    id: user.id,
    nick: user.nick,
    username: user.username,
    realname: user.realname,
    hostname: user.hostname,
    address: user.address,
    secure: user.secure,
    signedOnAt: user.signedOnAt,
    account: user.account,
    away: user.away,
    isOperator: user.isOperator,
    invisible: user.invisible,
    wallops: user.wallops,
    bot: user.bot,
    multiclient: user.multiclient,
  };
}

export function channelState(channel: Channel): ChannelState {
  const ranks: Array<readonly [string, boolean, boolean, Stamp]> = [];
  const rankStamps: Array<readonly [string, Stamp, Stamp]> = [];
  for (const [member, membership] of channel.members) {
    const op = rankStampOf(membership, "op");
    const voice = rankStampOf(membership, "voice");
    ranks.push([member.id, membership.op, membership.voice, isNewer(voice, op) ? voice : op]);
    if (isNewer(op, voice) || isNewer(voice, op)) rankStamps.push([member.id, op, voice]);
  }
  return {
    name: channel.name,
    createdAt: channel.createdAt,
    topic: channel.topic,
    topicStamp: channel.topicStamp,
    flags: [...channel.flags],
    key: channel.key,
    limit: channel.limit,
    lists: { ban: [...channel.lists.ban], exception: [...channel.lists.exception], "invite-exception": [...channel.lists["invite-exception"]] },
    modesStamp: channel.modesStamp,
    ranks,
    ...(rankStamps.length > 0 && { rankStamps }),
  };
}

/**
 * When the member's op (or voice) last changed. The two are apart: changed at once on two
 * nodes, a +v here and a +o there both stay, where one stamp a rank kept the newer whole rank
 * and took back the other change unseen by the members shown it.
 */
export function rankStampOf(membership: Membership, mode: MemberMode): Stamp {
  return (mode === "op" ? membership.opStamp : membership.voiceStamp) ?? CREATION_STAMP;
}

/** Records that the member's op (or voice) was changed at `stamp`. */
export function stampRank(membership: Membership, mode: MemberMode, stamp: Stamp): void {
  if (mode === "op") membership.opStamp = stamp;
  else membership.voiceStamp = stamp;
}

/** Whether the channel holds any change at all (else its state is what every node starts with). */
export function hasChanges(channel: Channel): boolean {
  if (isNewer(channel.topicStamp, CREATION_STAMP) || isNewer(channel.modesStamp, CREATION_STAMP)) return true;
  for (const membership of channel.members.values()) if (isNewer(rankStampOf(membership, "op"), CREATION_STAMP) || isNewer(rankStampOf(membership, "voice"), CREATION_STAMP)) return true;
  return false;
}

/** The key of one mode's own stamp in Channel.fieldStamps, or null for a list or member change. */
function fieldOf(change: AppliedModeChange): string | null {
  if (change.kind === "flag") return `flag:${change.mode}`;
  return change.kind === "key" || change.kind === "limit" ? change.kind : null;
}

/** Records that these changes were made at `stamp` (the node that made them). */
export function stampModeChanges(channel: Channel, changes: readonly AppliedModeChange[], stamp: Stamp): void {
  for (const change of changes) {
    const field = fieldOf(change);
    if (field !== null) (channel.fieldStamps ??= new Map()).set(field, stamp);
  }
}

/**
 * Applies mode changes made on another node at `stamp` (see the "channel" op); `state` is that
 * node's state after them, for who set a list entry. Member changes come with the state's ranks.
 */
export function applyModeChanges(channel: Channel, changes: readonly AppliedModeChange[], stamp: Stamp, state: ChannelState): void {
  const sameMask = (mask: string) => (entry: ListEntry) => entry.mask.toLowerCase() === mask.toLowerCase();
  for (const change of changes) {
    if (change.kind === "member") continue;
    if (change.kind === "list") {
      const list = channel.lists[change.mode];
      const index = list.findIndex(sameMask(change.mask));
      if (change.on && index === -1) list.push(state.lists[change.mode].find(sameMask(change.mask)) ?? { mask: change.mask, setBy: "", setAt: stamp.time });
      else if (!change.on && index !== -1) list.splice(index, 1);
      continue;
    }
    const field = fieldOf(change)!;
    if (!isNewer(stamp, channel.fieldStamps?.get(field) ?? CREATION_STAMP)) continue;
    (channel.fieldStamps ??= new Map()).set(field, stamp);
    if (change.kind === "flag") {
      if (change.on) channel.flags.add(change.mode);
      else channel.flags.delete(change.mode);
    } else if (change.kind === "key") channel.key = change.on ? change.key : null;
    else channel.limit = change.on ? change.limit : null;
  }
  if (isNewer(stamp, channel.modesStamp)) channel.modesStamp = stamp;
}

/**
 * Of mode changes made on another node at `stamp`, those `channel` still holds once their op is
 * applied (see Replica.shown): a flag, the key, the limit or a member's op or voice that a newer
 * change set since lost, and is left out. List entries are applied whatever the stamps, so they stay.
 */
export function heldModeChanges(channel: Channel, changes: readonly AppliedModeChange[], stamp: Stamp, rankStamp: (nick: string, mode: MemberMode) => Stamp | undefined): AppliedModeChange[] {
  return changes.filter((change) => {
    if (change.kind === "list") return true;
    const since = change.kind === "member" ? rankStamp(change.nick, change.mode) : channel.fieldStamps?.get(fieldOf(change)!);
    return since === undefined || !isNewer(since, stamp);
  });
}

/**
 * Takes from `state` each part that is newer than the channel's. Returns true when the
 * channel holds a part newer than `state`'s: its sender missed a change. `modes: false`
 * leaves the modes alone (they came as changes: applyModeChanges).
 */
export function mergeChannelState(channel: Channel, state: ChannelState, modes = true): boolean {
  let oursNewer = false;
  if (isNewer(state.topicStamp, channel.topicStamp)) {
    channel.topic = state.topic;
    channel.topicStamp = state.topicStamp;
  } else if (isNewer(channel.topicStamp, state.topicStamp)) oursNewer = true;
  if (!modes) {
    // Taken as changes.
  } else if (isNewer(state.modesStamp, channel.modesStamp)) {
    channel.flags.clear();
    for (const flag of state.flags) channel.flags.add(flag);
    channel.key = state.key;
    channel.limit = state.limit;
    for (const list of ["ban", "exception", "invite-exception"] as const) channel.lists[list] = [...state.lists[list]];
    channel.modesStamp = state.modesStamp;
  } else if (isNewer(channel.modesStamp, state.modesStamp)) oursNewer = true;
  const ranked = new Map(state.ranks.map(([id, op, voice, stamp]) => [id, { op, voice, stamp }]));
  const apart = new Map(state.rankStamps?.map(([id, op, voice]) => [id, { op, voice }]));
  for (const [member, membership] of channel.members) {
    const rank = ranked.get(member.id);
    if (!rank) continue;
    const stamps = apart.get(member.id) ?? { op: rank.stamp, voice: rank.stamp };
    if (mergeRank(membership, "op", rank.op, stamps.op)) oursNewer = true;
    if (mergeRank(membership, "voice", rank.voice, stamps.voice)) oursNewer = true;
  }
  return oursNewer;
}

/** Takes another node's op (or voice) of a member when newer; true when this node's is the newer. */
function mergeRank(membership: Membership, mode: MemberMode, on: boolean, stamp: Stamp): boolean {
  const mine = rankStampOf(membership, mode);
  if (isNewer(stamp, mine)) {
    membership[mode] = on;
    stampRank(membership, mode, stamp);
    return false;
  }
  return isNewer(mine, stamp);
}
