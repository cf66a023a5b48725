import type { ChatEvent, ClientTags, MessageEvent, MessageKind } from "./events.js";
import type { Session } from "./session.js";
import { Channel } from "./channel.js";
import { ChatUser } from "./user.js";
import { foldCase, isValidChannelName, isValidNick } from "./names.js";
import { fail, type Failure } from "./results.js";
import { MessageIds } from "./message-ids.js";
import { WhowasHistory, type WhowasEntry } from "./whowas.js";
import { applyModeRequests, type ModeError, type ModeRequest } from "./channel-modes.js";
import type { AppliedModeChange } from "./events.js";
import type { ChannelRegistry } from "./channel-registry.js";

export interface ChatLimits {
  readonly nickLength: number;
  readonly channelLength: number;
  readonly topicLength: number;
  readonly kickLength: number;
  readonly awayLength: number;
  readonly realnameLength: number;
  readonly maxChannelsPerUser: number;
  readonly maxListEntries: number;
  readonly whowasLength: number;
  /** Largest message text in UTF-8 bytes (config chat.maxMessageBytes); see message-size.ts. */
  readonly maxMessageBytes: number;
}

export interface NewUser {
  readonly nick: string;
  readonly username: string;
  readonly realname: string;
  readonly hostname: string;
  readonly address: string;
  readonly secure: boolean;
}

/** A checked message destination: exactly one of channel and recipient is set. */
export interface MessageDestination {
  readonly ok: true;
  readonly channel: Channel | null;
  readonly recipient: ChatUser | null;
}

export interface ChatStats {
  readonly users: number;
  readonly invisible: number;
  readonly operators: number;
  readonly channels: number;
  readonly maxUsers: number;
}

/** Truncates to at most `max` UTF-16 units without splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * The protocol-agnostic chat domain of one node: who is online, which channels
 * exist, who is in them, and the rules for every change. It never formats a wire
 * line; it hands events to sessions, and each session's adapter formats them.
 */
export class ChatCore {
  readonly #users = new Map<string, ChatUser>();
  readonly #channels = new Map<string, Channel>();
  readonly #ids = new MessageIds();
  /** Nicks no user may take (service names such as NickServ). */
  readonly #reserved = new Set<string>();
  readonly #whowas: WhowasHistory;
  #nextUserId = 1;
  #maxUsers = 0;

  constructor(
    public limits: ChatLimits,
    private readonly now: () => number = Date.now,
    /** Registered channels: their topic and modes come back when they are re-created. */
    readonly registry: ChannelRegistry | null = null,
  ) {
    this.#whowas = new WhowasHistory(limits.whowasLength);
  }

  // ── lookups ─────────────────────────────────────────────────────────────

  findUser(nick: string): ChatUser | undefined {
    return this.#users.get(foldCase(nick));
  }

  findChannel(name: string): Channel | undefined {
    return this.#channels.get(foldCase(name));
  }

  users(): IterableIterator<ChatUser> {
    return this.#users.values();
  }

  channels(): IterableIterator<Channel> {
    return this.#channels.values();
  }

  whowas(nick: string, limit: number): WhowasEntry[] {
    return this.#whowas.find(nick, limit);
  }

  stats(): ChatStats {
    let invisible = 0;
    let operators = 0;
    for (const user of this.#users.values()) {
      if (user.invisible) invisible++;
      if (user.isOperator) operators++;
    }
    return { users: this.#users.size, invisible, operators, channels: this.#channels.size, maxUsers: this.#maxUsers };
  }

  isNickAvailable(nick: string, forUser?: ChatUser): boolean {
    const folded = foldCase(nick);
    if (this.#reserved.has(folded)) return false;
    const holder = this.#users.get(folded);
    return holder === undefined || holder === forUser;
  }

  reserveNick(nick: string): void {
    this.#reserved.add(foldCase(nick));
  }

  /** Users who share at least one channel with `user`, each once, without `user`. */
  peersOf(user: ChatUser): Set<ChatUser> {
    const peers = new Set<ChatUser>();
    for (const channel of user.channels.values()) {
      for (const member of channel.members.keys()) if (member !== user) peers.add(member);
    }
    return peers;
  }

  // ── presence ────────────────────────────────────────────────────────────

  connect(session: Session, details: NewUser): { ok: true; user: ChatUser } | Failure<"erroneous-nick" | "nick-in-use"> {
    if (!isValidNick(details.nick, this.limits.nickLength)) return fail("erroneous-nick");
    if (!this.isNickAvailable(details.nick)) return fail("nick-in-use");
    const user = new ChatUser(
      this.#nextUserId++,
      session,
      details.nick,
      details.username,
      clip(details.realname, this.limits.realnameLength),
      details.hostname,
      details.address,
      details.secure,
      this.now(),
    );
    this.#users.set(user.folded, user);
    this.#maxUsers = Math.max(this.#maxUsers, this.#users.size);
    return { ok: true, user };
  }

  /** The user leaves: every channel peer hears the quit once. Idempotent. */
  quit(user: ChatUser, reason: string): void {
    if (this.#users.get(user.folded) !== user) return;
    const peers = this.peersOf(user);
    for (const channel of user.channels.values()) this.#removeMember(channel, user);
    user.channels.clear();
    this.#users.delete(user.folded);
    this.#rememberNick(user);
    const event: ChatEvent = { type: "quit", from: user.origin, reason: clip(reason, this.limits.kickLength), time: this.now() };
    for (const peer of peers) peer.session.deliver(event);
  }

  changeNick(user: ChatUser, nick: string): { ok: true; changed: boolean } | Failure<"erroneous-nick" | "nick-in-use"> {
    if (!isValidNick(nick, this.limits.nickLength)) return fail("erroneous-nick");
    if (!this.isNickAvailable(nick, user)) return fail("nick-in-use");
    if (nick === user.nick) return { ok: true, changed: false };
    const event: ChatEvent = { type: "nick", from: user.origin, nick, time: this.now() };
    if (foldCase(nick) !== user.folded) this.#rememberNick(user);
    this.#users.delete(user.folded);
    user.rename(nick);
    this.#users.set(user.folded, user);
    user.session.deliver(event);
    for (const peer of this.peersOf(user)) peer.session.deliver(event);
    return { ok: true, changed: true };
  }

  setAway(user: ChatUser, message: string | null): void {
    user.away = message === null || message === "" ? null : clip(message, this.limits.awayLength);
    const event: ChatEvent = { type: "away", from: user.origin, message: user.away, time: this.now() };
    for (const peer of this.peersOf(user)) peer.session.deliver(event);
  }

  /** The user logged in to (or out of) an account: channel peers hear it (IRCv3 account-notify). */
  setAccount(user: ChatUser, account: string | null): void {
    if (user.account === account) return;
    user.setAccount(account);
    const event: ChatEvent = { type: "account", from: user.origin, account, time: this.now() };
    for (const peer of this.peersOf(user)) peer.session.deliver(event);
  }

  setRealname(user: ChatUser, realname: string): void {
    user.realname = clip(realname, this.limits.realnameLength);
    const event: ChatEvent = { type: "realname", from: user.origin, realname: user.realname, time: this.now() };
    user.session.deliver(event);
    for (const peer of this.peersOf(user)) peer.session.deliver(event);
  }

  // ── channels ────────────────────────────────────────────────────────────

  join(
    user: ChatUser,
    name: string,
    key: string | undefined,
  ): { ok: true; channel: Channel; created: boolean; alreadyMember: boolean } | Failure<"bad-channel-name" | "too-many-channels" | "invite-only" | "banned" | "bad-key" | "channel-full"> {
    if (!isValidChannelName(name, this.limits.channelLength)) return fail("bad-channel-name");
    let channel = this.#channels.get(foldCase(name));
    if (channel?.members.has(user)) return { ok: true, channel, created: false, alreadyMember: true };
    if (user.channels.size >= this.limits.maxChannelsPerUser) return fail("too-many-channels");
    const created = channel === undefined;
    if (!channel) {
      channel = new Channel(name, this.now());
      // A registered channel comes back with its topic and modes, and they apply to its first joiner too.
      this.registry?.restore(channel);
    }
    const registered = this.registry?.get(channel.name) !== undefined;
    const founder = registered && this.registry!.isFounder(channel, user.account);
    if (!founder) {
      const refused = this.#admission(channel, user, key);
      if (refused) return fail(refused);
    }
    channel.invited.delete(user.folded);
    if (created) this.#channels.set(channel.folded, channel);
    // The first user in a new channel runs it; in a registered one, its founder does.
    const op = registered ? founder : created;
    channel.members.set(user, { op, voice: false });
    user.channels.set(channel.folded, channel);
    const event: ChatEvent = { type: "join", from: user.origin, channel: channel.name, realname: user.realname, time: this.now() };
    this.deliverToChannel(channel, event, null);
    return { ok: true, channel, created, alreadyMember: false };
  }

  part(user: ChatUser, name: string, reason: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    const event: ChatEvent = { type: "part", from: user.origin, channel: channel.name, reason: clip(reason, this.limits.kickLength), time: this.now() };
    this.deliverToChannel(channel, event, null);
    this.#removeMember(channel, user);
    user.channels.delete(channel.folded);
    return { ok: true };
  }

  kick(
    user: ChatUser,
    name: string,
    targetNick: string,
    reason: string,
  ): { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed" | "user-not-on-channel"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    if (!channel.isOp(user)) return fail("chanop-needed");
    const target = this.findUser(targetNick);
    if (!target || !channel.members.has(target)) return fail("user-not-on-channel");
    const event: ChatEvent = { type: "kick", from: user.origin, channel: channel.name, target: target.nick, reason: clip(reason, this.limits.kickLength), time: this.now() };
    this.deliverToChannel(channel, event, null);
    this.#removeMember(channel, target);
    target.channels.delete(channel.folded);
    return { ok: true };
  }

  setTopic(user: ChatUser, name: string, text: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    if (channel.flags.has("topic-lock") && !channel.isOp(user)) return fail("chanop-needed");
    const topic = clip(text, this.limits.topicLength);
    channel.topic = topic === "" ? null : { text: topic, setBy: user.hostmask, setAt: this.now() };
    this.registry?.changed(channel);
    const event: ChatEvent = { type: "topic", from: user.origin, channel: channel.name, topic, time: this.now() };
    this.deliverToChannel(channel, event, null);
    return { ok: true };
  }

  invite(
    user: ChatUser,
    targetNick: string,
    name: string,
  ): { ok: true; target: ChatUser } | Failure<"no-such-nick" | "not-on-channel" | "chanop-needed" | "user-on-channel"> {
    const target = this.findUser(targetNick);
    if (!target) return fail("no-such-nick");
    const channel = this.#channels.get(foldCase(name));
    const channelName = channel?.name ?? name;
    if (channel) {
      if (!channel.members.has(user)) return fail("not-on-channel");
      if (channel.flags.has("invite-only") && !channel.isOp(user)) return fail("chanop-needed");
      if (channel.members.has(target)) return fail("user-on-channel");
      channel.invited.add(target.folded);
    }
    const event: ChatEvent = { type: "invite", from: user.origin, channel: channelName, target: target.nick, time: this.now() };
    target.session.deliver(event);
    // Channel operators hear of invites too (IRCv3 invite-notify); each adapter decides whether to show it.
    if (channel) {
      for (const [member, membership] of channel.members) if (membership.op && member !== user) member.session.deliver(event);
    }
    return { ok: true, target };
  }

  changeModes(
    user: ChatUser,
    name: string,
    requests: readonly ModeRequest[],
  ): { ok: true; applied: AppliedModeChange[]; errors: ModeError[] } | Failure<"no-such-channel" | "chanop-needed"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (requests.length === 0) return { ok: true, applied: [], errors: [] };
    if (!channel.isOp(user) && !user.isOperator) return fail("chanop-needed");
    const now = this.now();
    const result = applyModeRequests(channel, user, requests, { maxListEntries: this.limits.maxListEntries, now, findUser: (nick) => this.findUser(nick) });
    if (result.applied.some((change) => change.kind !== "member" && change.kind !== "list")) this.registry?.changed(channel);
    if (result.applied.length > 0) {
      this.deliverToChannel(channel, { type: "mode", from: user.origin, channel: channel.name, changes: result.applied, time: now }, null);
    }
    return { ok: true, ...result };
  }

  /** An operator ends another user's connection; the session quits through its normal path. */
  kill(target: ChatUser, reason: string): void {
    target.session.close(reason);
  }

  // ── messages ────────────────────────────────────────────────────────────

  /** Where a message to `target` would go, and whether `user` may send it there. */
  resolveTarget(user: ChatUser, target: string): MessageDestination | Failure<"no-such-nick" | "no-such-channel" | "cannot-send"> {
    user.lastActive = this.now();
    if (target.startsWith("#")) {
      const channel = this.#channels.get(foldCase(target));
      if (!channel) return fail("no-such-channel");
      if (!channel.canSend(user)) return fail("cannot-send");
      return { ok: true, channel, recipient: null };
    }
    const recipient = this.findUser(target);
    if (!recipient) return fail("no-such-nick");
    return { ok: true, channel: null, recipient };
  }

  newMessage(user: ChatUser, target: string, kind: MessageKind, text: string, tags: ClientTags | null): MessageEvent {
    return { type: "message", kind, from: user.origin, target, text, tags, msgid: this.#ids.next(), time: this.now() };
  }

  /**
   * Hands a message to its recipients. The sender is not among them: echoing it
   * back (IRCv3 echo-message) is the sender's adapter's business.
   */
  deliverMessage(event: MessageEvent, destination: MessageDestination, sender: ChatUser): void {
    if (destination.channel) this.deliverToChannel(destination.channel, event, sender);
    else if (destination.recipient && this.#users.get(destination.recipient.folded) === destination.recipient) destination.recipient.session.deliver(event);
  }

  /** Hands one event to every member of `channel` except `except`; the same object to all. */
  deliverToChannel(channel: Channel, event: ChatEvent, except: ChatUser | null): void {
    for (const member of channel.members.keys()) {
      if (member !== except) member.session.deliver(event);
    }
  }

  /** Why `user` may not join `channel`, or null. An invitation passes +i only (as in hybrid and ratbox). */
  #admission(channel: Channel, user: ChatUser, key: string | undefined): "invite-only" | "bad-key" | "channel-full" | "banned" | null {
    if (channel.flags.has("invite-only") && !channel.invited.has(user.folded) && !channel.isInviteExempt(user)) return "invite-only";
    if (channel.key !== null && key !== channel.key) return "bad-key";
    if (channel.limit !== null && channel.members.size >= channel.limit) return "channel-full";
    if (channel.isBanned(user)) return "banned";
    return null;
  }

  #rememberNick(user: ChatUser): void {
    this.#whowas.add({ nick: user.nick, username: user.username, hostname: user.hostname, realname: user.realname, account: user.account, leftAt: this.now() });
  }

  /** Online users logged in to `account` (folded), in sign-on order. */
  usersOfAccount(account: string): ChatUser[] {
    const found: ChatUser[] = [];
    for (const user of this.#users.values()) if (user.account !== null && foldCase(user.account) === account) found.push(user);
    return found;
  }

  isOnline(user: ChatUser): boolean {
    return this.#users.get(user.folded) === user;
  }

  #removeMember(channel: Channel, user: ChatUser): void {
    channel.members.delete(user);
    if (channel.members.size === 0) this.#channels.delete(channel.folded);
  }
}
