/**
 * Channel operations of the chat core: JOIN (with its admission check), PART, KICK,
 * TOPIC, INVITE and MODE, and a channel's end when its last member leaves. The
 * core (chat-core.ts) owns the channels and hands each call on to here.
 *
 * Each change publishes its event and replicates its state op in the order it
 * does: the other nodes of a cluster apply ops in each node's order (replica.ts).
 */
import type { ChatEvent, AppliedModeChange } from "./events.js";
import { Channel } from "./channel.js";
import type { ChatUser } from "./user.js";
import { foldCase, isValidChannelName } from "./names.js";
import { fail, type Failure } from "./results.js";
import { applyModeRequests, type ModeError, type ModeRequest } from "./channel-modes.js";
import type { ChannelRegistry } from "./channel-registry.js";
import { channelState, stampModeChanges, stampRank } from "./replication.js";
import { clip, type CoreServices } from "./chat-types.js";
import { channelScope } from "./scopes.js";

/** What channel operations reach of the chat core beyond its services. */
export interface ChannelOpsHost extends CoreServices {
  /** The channels of this node's view, by folded name. */
  readonly channels: Map<string, Channel>;
  /** Registered channels: their topic, modes and lists come back when they are re-created. */
  readonly registry: ChannelRegistry | null;
  /** Keeps an emptied channel's last state a moment (in a cluster: channel-graveyard.ts). */
  bury(channel: Channel): void;
}

export type JoinResult =
  | { ok: true; channel: Channel; created: boolean; alreadyMember: boolean }
  | Failure<"bad-channel-name" | "too-many-channels" | "invite-only" | "banned" | "bad-key" | "channel-full">;
export type KickResult = { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed" | "user-not-on-channel" | "unavailable">;
export type InviteResult = { ok: true; target: ChatUser; channel: Channel } | Failure<"no-such-nick" | "no-such-channel" | "not-on-channel" | "chanop-needed" | "user-on-channel">;
/** The status an always-on user had in a channel, given back when it is restored into it. */
export interface RestoredStatus {
  readonly op: boolean;
  readonly voice: boolean;
}
export type ModesResult = { ok: true; applied: AppliedModeChange[]; errors: ModeError[] } | Failure<"no-such-channel" | "chanop-needed">;

export class ChannelOps {
  /** Channels that always-on users' joins re-created at start: each of their members was in it before. */
  readonly #restoredChannels = new WeakSet<Channel>();

  constructor(private readonly host: ChannelOpsHost) {}

  /**
   * `restoring`: an always-on user comes back after a restart, with the status it had in the
   * channel. A channel that the restored users' joins bring back kept each of them as a member
   * while the server was down: +k, +i, +l or bans of a registered channel are not asked of them
   * again, and each gets its own status back, no more (Ergo's restore joins alike) — the one
   * whose join re-created it is not made its operator for being first. One already live (in a
   * cluster, on other nodes, which saw this node's users quit) is joined like any other.
   */
  join(user: ChatUser, name: string, key: string | undefined, fromSession: string | null = null, restoring: RestoredStatus | null = null): JoinResult {
    const host = this.host;
    if (!isValidChannelName(name, host.limits().channelLength)) return fail("bad-channel-name");
    let channel = host.channels.get(foldCase(name));
    if (channel?.members.has(user)) return { ok: true, channel, created: false, alreadyMember: true };
    if (user.channels.size >= host.limits().maxChannelsPerUser) return fail("too-many-channels");
    const created = channel === undefined;
    if (!channel) {
      channel = new Channel(name, host.now());
      // A registered channel comes back with its topic, modes and lists, and they apply to its first joiner too.
      host.registry?.restore(channel);
      if (restoring) this.#restoredChannels.add(channel);
    }
    const restored = restoring !== null && this.#restoredChannels.has(channel);
    const registered = host.registry?.get(channel.name) !== undefined;
    const founder = registered && host.registry!.isFounder(channel, user.account);
    if (!founder && !restored) {
      const refused = this.#admission(channel, user, key);
      if (refused) return fail(refused);
    }
    channel.invited.delete(user.id);
    if (created) host.channels.set(channel.folded, channel);
    // The first user in a new channel runs it; in a registered one, its founder does;
    // a channel of the server's (a default channel every user joins) nobody runs by being first.
    const op = restored ? restoring.op || founder : registered ? founder : created && !this.#serverOwned(channel);
    const voice = restored && restoring.voice;
    const stamp = host.stamp();
    // Ranks carry their stamp only in a cluster, where concurrent changes are ordered by it.
    channel.members.set(user, host.bus.node === null ? { op, voice } : { op, voice, opStamp: stamp, voiceStamp: stamp });
    user.joinedChannel(channel);
    // A new channel's state is its defaults (or its registration's, the same on every node),
    // stamped as older than any change, so a change made anywhere a moment before wins over it.
    const state = created ? channelState(channel) : null;
    host.replicate({ op: "join", user: user.id, channel: channel.name, createdAt: channel.createdAt, chanop: op, voice, stamp, state });
    const event: ChatEvent = { type: "join", from: user.origin, channel: channel.name, realname: user.realname, ...stamp };
    host.publish(channelScope(channel), event, fromSession);
    this.#announceAwayOnJoin(user, channel);
    host.touched(user);
    return { ok: true, channel, created, alreadyMember: false };
  }

  #serverOwned(channel: Channel): boolean {
    return this.host.limits().serverChannels?.some((name) => foldCase(name) === channel.folded) ?? false;
  }

  part(user: ChatUser, name: string, reason: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel"> {
    const host = this.host;
    const channel = host.channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    // One who may not speak here (+m without voice, banned) leaves without a word: a PART
    // reason would be a line said to the channel all the same (as Solanum drops it).
    const said = channel.canSend(user) ? clip(reason, host.limits().kickLength) : "";
    const event: ChatEvent = { type: "part", from: user.origin, channel: channel.name, reason: said, ...host.stamp() };
    host.publish(channelScope(channel), event);
    this.#removeMember(channel, user);
    user.leftChannel(channel.folded);
    host.replicate({ op: "part", user: user.id, channel: channel.folded });
    host.touched(user);
    return { ok: true };
  }

  kick(user: ChatUser, name: string, targetNick: string, reason: string): KickResult {
    const host = this.host;
    const channel = host.channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    if (!channel.isOp(user)) return fail("chanop-needed");
    const target = host.findUser(targetNick);
    if (!target || !channel.members.has(target)) return fail("user-not-on-channel");
    if (target.node !== null) {
      // A user's memberships change only on its own node, in that node's order: the kick is
      // carried out there, and every node (this one too) hears it from there.
      if (!host.bus.connected) return fail("unavailable");
      host.replicate({ op: "kick", by: user.id, user: target.id, channel: channel.folded, reason });
      return { ok: true };
    }
    this.kickMember(user, channel, target, reason);
    return { ok: true };
  }

  /** Removes `target`, a user of this node, from `channel` on `by`'s order (checked already, here or on `by`'s node). */
  kickMember(by: ChatUser, channel: Channel, target: ChatUser, reason: string): void {
    const host = this.host;
    const event: ChatEvent = { type: "kick", from: by.origin, channel: channel.name, target: target.nick, reason: clip(reason, host.limits().kickLength), ...host.stamp() };
    host.publish(channelScope(channel), event);
    this.#removeMember(channel, target);
    target.leftChannel(channel.folded);
    host.replicate({ op: "part", user: target.id, channel: channel.folded });
    host.touched(target);
  }

  setTopic(user: ChatUser, name: string, text: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed"> {
    const host = this.host;
    const channel = host.channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    if (channel.flags.has("topic-lock") && !channel.isOp(user)) return fail("chanop-needed");
    // A topic is said to the channel: one who may not speak there (banned, +m without voice)
    // may not set it either. Solanum (m_topic.c) asks can_send() and answers 482 alike.
    if (!channel.canSend(user)) return fail("chanop-needed");
    const topic = clip(text, host.limits().topicLength);
    const stamp = host.stamp();
    channel.topic = topic === "" ? null : { text: topic, setBy: user.hostmask, setAt: stamp.time };
    channel.topicStamp = stamp;
    host.registry?.changed(channel);
    host.replicate({ op: "channel", state: channelState(channel) });
    const event: ChatEvent = { type: "topic", from: user.origin, channel: channel.name, topic, ...stamp };
    host.publish(channelScope(channel), event);
    return { ok: true };
  }

  invite(user: ChatUser, targetNick: string, name: string, fromSession: string | null = null): InviteResult {
    const host = this.host;
    const target = host.findUser(targetNick);
    if (!target) return fail("no-such-nick");
    const channel = host.channels.get(foldCase(name));
    // Only into a channel that exists, as Ergo and InspIRCd answer: an invite to any name, sent
    // by anyone, would otherwise be a way to put made-up channels in front of strangers.
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail(channel.flags.has("secret") ? "no-such-channel" : "not-on-channel");
    if (channel.flags.has("invite-only") && !channel.isOp(user)) return fail("chanop-needed");
    if (channel.members.has(target)) return fail("user-on-channel");
    channel.invited.add(target.id);
    target.invitedInto(channel);
    host.replicate({ op: "invite", channel: channel.folded, user: target.id });
    const event: ChatEvent = { type: "invite", from: user.origin, channel: channel.name, target: target.nick, ...host.stamp() };
    host.publish({ kind: "users", users: [target.id] }, event);
    // Channel operators hear of invites too (IRCv3 invite-notify); each adapter decides whether to show it.
    host.publish({ kind: "channel", channel: channel.folded, rank: "op" }, event, fromSession, true);
    return { ok: true, target, channel };
  }

  changeModes(user: ChatUser, name: string, requests: readonly ModeRequest[]): ModesResult {
    const host = this.host;
    const channel = host.channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (requests.length === 0) return { ok: true, applied: [], errors: [] };
    if (!channel.isOp(user) && !user.isOperator) return fail("chanop-needed");
    const stamp = host.stamp();
    const result = applyModeRequests(channel, user, requests, { maxListEntries: host.limits().maxListEntries, now: stamp.time, findUser: (nick) => host.findUser(nick) });
    // Ranks are not kept with a registration (the founder gets op back by joining; an always-on
    // user's are kept with it, always-on.ts); flags, key, limit and the lists are.
    if (result.applied.some((change) => change.kind !== "member")) host.registry?.changed(channel);
    if (result.applied.length > 0) {
      for (const change of result.applied) {
        if (change.kind !== "member") channel.modesStamp = stamp;
        else {
          const member = host.findUser(change.nick);
          const membership = member && channel.members.get(member);
          if (membership && host.bus.node !== null) stampRank(membership, change.mode, stamp);
          // An always-on member's rank is kept with it (always-on.ts): a restart must bring back this one, not the last saved.
          if (member) host.touched(member);
        }
      }
      const modeChanges = result.applied.filter((change) => change.kind !== "member");
      if (host.bus.node !== null) stampModeChanges(channel, modeChanges, stamp);
      host.replicate({ op: "channel", state: channelState(channel), changes: result.applied, stamp });
      host.publish(channelScope(channel), { type: "mode", from: user.origin, channel: channel.name, changes: result.applied, ...stamp });
    }
    return { ok: true, ...result };
  }

  /** An emptied channel goes (in a cluster its last state is kept a moment: channel-graveyard.ts). */
  dropChannel(channel: Channel): void {
    this.host.channels.delete(channel.folded);
    if (this.host.bus.node !== null) this.host.bury(channel);
  }

  #removeMember(channel: Channel, user: ChatUser): void {
    channel.members.delete(user);
    if (channel.members.size === 0) this.dropChannel(channel);
  }

  /** Why `user` may not join `channel`, or null. An invitation passes +i only (as in hybrid and ratbox). */
  #admission(channel: Channel, user: ChatUser, key: string | undefined): "invite-only" | "bad-key" | "channel-full" | "banned" | null {
    if (channel.flags.has("invite-only") && !channel.invited.has(user.id) && !channel.isInviteExempt(user)) return "invite-only";
    if (channel.key !== null && key !== channel.key) return "bad-key";
    if (channel.limit !== null && channel.members.size >= channel.limit) return "channel-full";
    if (channel.isBanned(user)) return "banned";
    return null;
  }

  /**
   * IRCv3 away-notify: a user who is away when it joins is announced as away to the
   * channel's other members right after its JOIN (not to its own sessions: for them
   * an away event means "you are away").
   */
  #announceAwayOnJoin(user: ChatUser, channel: Channel): void {
    if (user.away === null) return;
    // Not to the user itself: its sessions would take it for an AWAY command of its own.
    this.host.publish({ kind: "channel", channel: channel.folded, exceptUser: user.id }, { type: "away", from: user.origin, message: user.away, ...this.host.stamp() });
  }
}
