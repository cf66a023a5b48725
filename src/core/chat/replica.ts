import type { Publication, Scope } from "./bus.js";
import { Channel, type MemberMode } from "./channel.js";
import type { ChatEvent } from "./events.js";
import { foldCase } from "./names.js";
import { applyModeChanges, channelState, heldModeChanges, isNewer, mergeChannelState, rankStampOf, userSnapshot, type ChannelState, type NodeSnapshot, type StateOp, type UserFields, type UserSnapshot } from "./replication.js";
import { ChatUser } from "./user.js";
import { ChannelGraveyard } from "./channel-graveyard.js";

/** What the replica reaches of the chat core's state. */
export interface ReplicaHost {
  readonly users: Map<string, ChatUser>;
  readonly usersById: Map<string, ChatUser>;
  readonly channels: Map<string, Channel>;
  indexAccount(user: ChatUser, account: string | null): void;
  rememberNick(user: ChatUser): void;
  /** Hands an event to this node's sessions only: each node tells its own sessions of what it learns itself. */
  deliverLocal(scope: Scope, event: ChatEvent): void;
  stamp(): { msgid: string; time: number };
  presence(nick: string, user: ChatUser | null): void;
  countUser(): void;
  /** Carries out a kick another node's channel operator asked for, of a user of this node. */
  kick(by: ChatUser, channel: Channel, target: ChatUser, reason: string): void;
  /** A user of this node with no session left anywhere quits (as its last session's end would make it). */
  quit(user: ChatUser, reason: string): void;
  /** Tells every node this node's state of `channel`: theirs is older (see `apply`). */
  reassert(channel: Channel): void;
  /** An always-on user of this node got a connection on another node. */
  resumed(user: ChatUser): void;
  /** An always-on user of this node lost its last connection, which was on another node. */
  suspended(user: ChatUser): void;
  /** A user of this node changed through a session on another node (nick, channels): kept if always-on. */
  touched(user: ChatUser): void;
  /** The channel's modes changed by another node's hand: saved if it is registered. */
  modesChanged(channel: Channel): void;
  now(): number;
}

/**
 * This node's copy of the users on the other nodes of a cluster, and of their place in
 * channels. Ops arrive in each sending node's order; events for this node's sessions
 * come as publications beside them, so applying an op shows nobody anything — except
 * where this node finds something out by itself: a node that died, or a snapshot that
 * differs from what it knew (a re-sync after Redis was away), shown as QUIT/JOIN/PART
 * as IRC networks show a net-split and a net-join.
 */
export class Replica {
  readonly graveyard: ChannelGraveyard;

  constructor(private readonly host: ReplicaHost) {
    this.graveyard = new ChannelGraveyard(() => host.now());
  }

  apply(op: StateOp, node: string): void {
    const host = this.host;
    switch (op.op) {
      case "user": {
        const known = host.usersById.get(op.user.id);
        // Only a user's own node announces it (ids carry the node's instance, so a sound node never names another's).
        if (known) {
          if (known.node === node) this.#setFields(known, op.user);
        } else this.#addUser(op.user, node);
        return;
      }
      case "quit": {
        const user = host.usersById.get(op.user);
        if (user) this.#removeUser(user, op.reason, false);
        return;
      }
      case "nick": {
        const user = host.usersById.get(op.user);
        if (!user) return;
        if (host.users.get(user.folded) === user) host.users.delete(user.folded);
        host.rememberNick(user);
        user.rename(op.nick);
        host.users.set(user.folded, user);
        if (user.node === null) host.touched(user);
        return;
      }
      case "fields": {
        const user = host.usersById.get(op.user);
        if (!user) return;
        this.#setFields(user, op.fields);
        // This node's own user, changed through a session on another node: its away and modes are kept here.
        if (user.node === null) host.touched(user);
        return;
      }
      case "join": {
        const user = host.usersById.get(op.user);
        if (!user) return;
        const channel = this.#channel(op.channel, op.createdAt, op.state);
        if (!channel.members.has(user)) channel.members.set(user, { op: op.chanop, voice: op.voice, opStamp: op.stamp, voiceStamp: op.stamp });
        user.joinedChannel(channel);
        channel.invited.delete(user.id);
        if (user.node === null) host.touched(user);
        return;
      }
      case "part": {
        const user = host.usersById.get(op.user);
        const channel = host.channels.get(op.channel);
        if (!user || !channel) return;
        this.#leave(channel, user);
        // This node's own user was kicked on another node: its sessions already saw the KICK there.
        if (user.node === null) host.touched(user);
        return;
      }
      case "kick": {
        const by = host.usersById.get(op.by);
        const target = host.usersById.get(op.user);
        const channel = host.channels.get(op.channel);
        if (by && target && target.node === null && channel?.members.has(target)) host.kick(by, channel, target, op.reason);
        return;
      }
      case "channel": {
        const channel = host.channels.get(foldCase(op.state.name));
        if (!channel) return;
        if (op.changes === undefined || op.stamp === undefined) {
          this.#merge(channel, op.state);
          return;
        }
        // Mode changes come as a delta, so changes made at once on two nodes both stay.
        applyModeChanges(channel, op.changes, op.stamp, op.state);
        // Not said again when this node's state is newer in a part: the whole state would undo a
        // change made here at the same moment on a node that has not heard of it yet.
        mergeChannelState(channel, op.state, false);
        // A registered channel's saved modes are this node's too: each node saves what it now holds.
        if (op.changes.some((change) => change.kind !== "member")) host.modesChanged(channel);
        if (op.changes.some((change) => change.kind === "member")) this.#ranksMayHaveChanged(channel);
        return;
      }
      case "invite": {
        const channel = host.channels.get(op.channel);
        if (!channel) return;
        channel.invited.add(op.user);
        host.usersById.get(op.user)?.invitedInto(channel);
        return;
      }
      case "attach": {
        const user = host.usersById.get(op.user);
        if (!user) return;
        user.addOtherNode(node);
        if (user.node === null) host.resumed(user);
        return;
      }
      case "detach": {
        const user = host.usersById.get(op.user);
        if (user) this.#leaveNode(user, node, op.reason ?? "Connection closed");
        return;
      }
    }
  }

  /**
   * What this node's sessions are shown of a publication from another node, or null for nothing.
   * A topic or mode change comes after its state op, which is applied by now (one node's messages
   * keep their order, and its op and event arrive in one go): where the channel holds a newer
   * change of the same part, this one lost the race, and is not shown — as linked IRC servers drop
   * an FTOPIC or FMODE that loses on its timestamp. Shown, it would be the last value the members
   * here saw, while every node keeps the newer one. The newer one was shown here already, or
   * comes next from its own node.
   */
  shown(publication: Publication): Publication | null {
    const event = publication.event;
    if (event.type !== "topic" && event.type !== "mode") return publication;
    const channel = this.host.channels.get(foldCase(event.channel));
    if (!channel) return publication;
    const stamp = { time: event.time, msgid: event.msgid };
    if (event.type === "topic") return isNewer(channel.topicStamp, stamp) ? null : publication;
    const rankStamp = (nick: string, mode: MemberMode) => {
      const member = this.host.users.get(foldCase(nick));
      const membership = member && channel.members.get(member);
      return membership && rankStampOf(membership, mode);
    };
    const changes = heldModeChanges(channel, event.changes, stamp, rankStamp);
    if (changes.length === event.changes.length) return publication;
    return changes.length === 0 ? null : { ...publication, event: { ...event, changes } };
  }

  /** `node` holds no session of `user` any more; a user of this node left with none anywhere quits. */
  #leaveNode(user: ChatUser, node: string, reason: string): void {
    if (!user.removeOtherNode(node)) return;
    if (user.node !== null || user.sessionCount > 0 || user.otherNodes.size > 0) return;
    if (user.alwaysOn) this.host.suspended(user);
    else this.host.quit(user, reason);
  }

  /** Everything this node holds itself: what a node that (re)joins the cluster is sent. */
  snapshot(): NodeSnapshot {
    const users: Array<NodeSnapshot["users"][number]> = [];
    const channels = new Map<string, ChannelState>();
    for (const user of this.host.usersById.values()) {
      if (user.node !== null) continue;
      const joined: Array<readonly [string, number, boolean, boolean]> = [];
      for (const channel of user.channels.values()) {
        const membership = channel.members.get(user);
        joined.push([channel.name, channel.createdAt, membership?.op ?? false, membership?.voice ?? false]);
        if (!channels.has(channel.folded)) channels.set(channel.folded, channelState(channel));
      }
      users.push({ user: userSnapshot(user), channels: joined });
    }
    const attached: string[] = [];
    for (const user of this.host.usersById.values()) if (user.node !== null && user.sessionCount > 0) attached.push(user.id);
    return { users, channels: [...channels.values()], attached };
  }

  /**
   * Makes the replica of `node` what its snapshot says: users it no longer has quit,
   * new ones arrive, memberships are joined and parted, each shown to this node's
   * sessions as it would be live.
   */
  applySnapshot(node: string, snapshot: NodeSnapshot, reason: string): void {
    const host = this.host;
    const present = new Set(snapshot.users.map(({ user }) => user.id));
    for (const user of [...host.usersById.values()]) {
      if (user.node === node && !present.has(user.id)) this.#removeUser(user, reason, true);
    }
    for (const { user: snap, channels } of snapshot.users) {
      let user = host.usersById.get(snap.id);
      // A snapshot speaks for its node's users only: another node's (or this node's own) stay as they are.
      if (user && user.node !== node) continue;
      if (!user) {
        user = this.#addUser(snap, node);
        if (!user) continue;
        host.presence(user.nick, user);
      } else {
        if (user.nick !== snap.nick) {
          const from = user.origin;
          if (host.users.get(user.folded) === user) host.users.delete(user.folded);
          user.rename(snap.nick);
          host.users.set(user.folded, user);
          host.deliverLocal(this.#peers(user), { type: "nick", from, nick: user.nick, ...host.stamp() });
        }
        this.#setFields(user, snap);
      }
      const wanted = new Set(channels.map(([name]) => foldCase(name)));
      for (const channel of [...user.channels.values()]) {
        if (wanted.has(channel.folded)) continue;
        host.deliverLocal({ kind: "channel", channel: channel.folded }, { type: "part", from: user.origin, channel: channel.name, reason, ...host.stamp() });
        this.#leave(channel, user);
      }
      for (const [name, createdAt, op, voice] of channels) {
        const channel = this.#channel(name, createdAt, null);
        if (channel.members.has(user)) continue;
        channel.members.set(user, { op, voice });
        user.joinedChannel(channel);
        host.deliverLocal({ kind: "channel", channel: channel.folded }, { type: "join", from: user.origin, channel: channel.name, realname: user.realname, ...host.stamp() });
      }
    }
    for (const state of snapshot.channels) {
      const channel = host.channels.get(foldCase(state.name));
      if (channel) this.#merge(channel, state);
    }
    const attached = new Set(snapshot.attached ?? []);
    for (const user of [...host.usersById.values()]) {
      if (attached.has(user.id)) user.addOtherNode(node);
      else this.#leaveNode(user, node, reason);
    }
  }

  /** A node is gone (dead, cut off, or stopped): its users quit for this node's sessions. */
  dropNode(node: string, reason: string): number {
    let dropped = 0;
    for (const user of [...this.host.usersById.values()]) {
      if (user.node !== node) {
        this.#leaveNode(user, node, reason);
        continue;
      }
      this.#removeUser(user, reason, true);
      dropped++;
    }
    return dropped;
  }

  /** The nodes this replica holds users of. */
  nodes(): Set<string> {
    const nodes = new Set<string>();
    for (const user of this.host.usersById.values()) {
      if (user.node !== null) nodes.add(user.node);
      for (const node of user.otherNodes) nodes.add(node);
    }
    return nodes;
  }

  #addUser(snap: UserSnapshot, node: string): ChatUser | undefined {
    const host = this.host;
    const user = new ChatUser(snap.id, snap.nick, snap.username, snap.realname, snap.hostname, snap.address, snap.secure, snap.signedOnAt);
    user.node = node;
    this.#setFields(user, snap);
    host.usersById.set(user.id, user);
    // Two holders of one nick can only meet after a split; the one here keeps the name lookup.
    if (!host.users.has(user.folded)) host.users.set(user.folded, user);
    host.countUser();
    return user;
  }

  #setFields(user: ChatUser, fields: UserFields): void {
    if (fields.account !== undefined && fields.account !== user.account) {
      this.host.indexAccount(user, fields.account);
      user.setAccount(fields.account);
    }
    if (fields.away !== undefined) user.away = fields.away;
    if (fields.realname !== undefined) user.realname = fields.realname;
    if (fields.isOperator !== undefined) user.isOperator = fields.isOperator;
    if (fields.invisible !== undefined) user.invisible = fields.invisible;
    if (fields.wallops !== undefined) user.wallops = fields.wallops;
    if (fields.bot !== undefined && fields.bot !== user.bot) user.setBot(fields.bot);
    if (fields.multiclient !== undefined) user.multiclient = fields.multiclient;
  }

  /** Removes a user; `announce`: this node found out itself, so its sessions are told here. */
  #removeUser(user: ChatUser, reason: string, announce: boolean): void {
    const host = this.host;
    if (announce) host.deliverLocal(this.#peers(user), { type: "quit", from: user.origin, reason, ...host.stamp() });
    for (const channel of [...user.channels.values()]) this.#leave(channel, user);
    user.forgetInvitations();
    if (host.users.get(user.folded) === user) host.users.delete(user.folded);
    host.usersById.delete(user.id);
    host.indexAccount(user, null);
    host.rememberNick(user);
    if (announce) host.presence(user.nick, null);
    // A user of this node removed elsewhere (KILL on another node): its connections end.
    for (const session of [...user.sessions()]) session.close(reason);
  }

  #peers(user: ChatUser): Scope {
    return { kind: "channels", channels: [...user.channels.keys()] };
  }

  #leave(channel: Channel, user: ChatUser): void {
    channel.members.delete(user);
    user.leftChannel(channel.folded);
    if (channel.members.size === 0) {
      this.host.channels.delete(channel.folded);
      this.graveyard.bury(channel);
    }
  }

  #channel(name: string, createdAt: number, state: ChannelState | null): Channel {
    const folded = foldCase(name);
    let channel = this.host.channels.get(folded);
    if (!channel) {
      channel = new Channel(name, createdAt);
      this.host.channels.set(folded, channel);
      const buried = this.graveyard.exhume(folded, createdAt);
      if (buried) mergeChannelState(channel, buried);
    }
    if (state) this.#merge(channel, state);
    return channel;
  }

  /**
   * The newest state wins. When what arrives is older than what this node holds, the sender
   * (and any node like it) missed a change: this node says its state again, and since every
   * node keeps the newest, all end on the same one.
   */
  #merge(channel: Channel, state: ChannelState): void {
    if (mergeChannelState(channel, state)) this.host.reassert(channel);
    this.#ranksMayHaveChanged(channel);
  }

  /** Another node changed ranks in `channel`: this node's always-on members keep theirs with them (always-on.ts). */
  #ranksMayHaveChanged(channel: Channel): void {
    for (const member of channel.members.keys()) if (member.node === null) this.host.touched(member);
  }
}
