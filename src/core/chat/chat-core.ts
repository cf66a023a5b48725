import type { ChatEvent, ClientTags, MessageEvent, MessageKind, RedactEvent } from "./events.js";
import type { Session } from "./session.js";
import { Channel, type MemberMode } from "./channel.js";
import { ChatUser } from "./user.js";
import { foldCase, isValidChannelName, isValidNick } from "./names.js";
import { fail, type Failure } from "./results.js";
import { MessageIds } from "./message-ids.js";
import { WhowasHistory, type WhowasEntry } from "./whowas.js";
import { applyModeRequests, type ModeError, type ModeRequest } from "./channel-modes.js";
import type { AppliedModeChange } from "./events.js";
import type { ChannelRegistry } from "./channel-registry.js";
import type { Bus, Scope } from "./bus.js";
import { LocalIndex } from "./local-index.js";
import { NickWatchers } from "./nick-watchers.js";
import type { AlwaysOnKeeper, StoredAlwaysOn } from "./always-on.js";
import type { StoredMessage } from "./history.js";
import { Observers } from "./observers.js";
import { channelState, userSnapshot, type StateOp } from "./replication.js";
import { Replica } from "./replica.js";

/** The away message of an always-on user with no connection. */
export const DISCONNECTED_AWAY = "Not connected (always-on)";

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
 * line: every event leaves through the bus (`publish(scope, event)`), whose local
 * index hands it to sessions, and each session's adapter formats it.
 */
export class ChatCore {
  /** Users by folded nick. */
  readonly #users = new Map<string, ChatUser>();
  readonly #usersById = new Map<string, ChatUser>();
  /** Users logged in to each (folded) account. */
  readonly #usersByAccount = new Map<string, Set<ChatUser>>();
  readonly #channels = new Map<string, Channel>();
  readonly #ids = new MessageIds();
  /** Nicks no user may take (service names such as NickServ). */
  readonly #reserved = new Set<string>();
  readonly #whowas: WhowasHistory;
  /** MONITOR: who watches which nick. */
  readonly watchers = new NickWatchers((nick) => isValidNick(nick, this.limits.nickLength));
  #nextUserId = 1;
  #maxUsers = 0;
  /** Keeps always-on users' state in the store; null when nothing persists (unit tests). */
  alwaysOnKeeper: AlwaysOnKeeper | null = null;
  /** Every message a redaction removed from history (file shares take back what it granted). */
  readonly removedMessages = new Observers<StoredMessage>();
  /** In a cluster: applies the other nodes' state changes to this node's replica of them. */
  readonly replica: Replica;
  readonly #local: LocalIndex;

  constructor(
    public limits: ChatLimits,
    private readonly bus: Bus,
    private readonly now: () => number = Date.now,
    /** Registered channels: their topic and modes come back when they are re-created. */
    readonly registry: ChannelRegistry | null = null,
  ) {
    this.#whowas = new WhowasHistory(limits.whowasLength);
    this.#local = new LocalIndex({
      channel: (folded) => this.#channels.get(folded),
      userById: (id) => this.#usersById.get(id),
      usersOfAccount: (folded) => this.#usersByAccount.get(folded) ?? [],
      allUsers: () => this.#users.values(),
      watchersOf: (folded) => this.watchers.of(folded),
    });
    bus.attach(this.#local);
    this.replica = new Replica({
      users: this.#users,
      usersById: this.#usersById,
      channels: this.#channels,
      indexAccount: (user, account) => this.#indexAccount(user, account),
      rememberNick: (user) => this.#rememberNick(user),
      deliverLocal: (scope, event) => this.#local.deliverLocal({ scope, event, fromSession: null, skipOrigin: false }),
      stamp: () => this.#stamp(),
      presence: (nick, user) => this.#local.deliverLocal({ scope: { kind: "watchers", nick: foldCase(nick) }, event: { type: "presence", nick, online: user !== null, origin: user?.originOnce() ?? null, ...this.#stamp() }, fromSession: null, skipOrigin: false }),
      countUser: () => (this.#maxUsers = Math.max(this.#maxUsers, this.#users.size)),
      quit: (user, reason) => this.quit(user, reason),
      kick: (by, channel, target, reason) => this.kickMember(by, channel, target, reason),
      reassert: (channel) => this.#replicate({ op: "channel", state: channelState(channel) }),
      now: () => this.now(),
    });
  }

  /** A state change the other nodes of a cluster must see (nothing on a node on its own). */
  #replicate(op: StateOp): void {
    this.bus.replicate(op);
  }

  /** A user's modes (+i, +w, +B, operator) changed: the other nodes' replicas follow. */
  userModesChanged(user: ChatUser): void {
    this.#replicate({ op: "fields", user: user.id, fields: { isOperator: user.isOperator, invisible: user.invisible, wallops: user.wallops, bot: user.bot } });
  }

  #newUserId(): string {
    const n = (this.#nextUserId++).toString(36);
    return this.bus.node === null ? n : `${this.bus.node}.${n}`;
  }

  /** The one way out of the core for every event. */
  #publish(scope: Scope, event: ChatEvent, fromSession: string | null = null, skipOrigin = false): void {
    this.bus.publish({ scope, event, fromSession, skipOrigin });
  }

  /** Everyone who shares a channel with `user`, and with `self` the user's own sessions too. */
  #peers(user: ChatUser, self: boolean): Scope {
    return { kind: "channels", channels: [...user.channels.keys()], user: self ? user.id : undefined };
  }

  /** `#peers`, plus the sessions watching the user's nick (IRCv3 extended-monitor; each adapter decides whether to show it). */
  #peersAndWatchers(user: ChatUser, self: boolean): Scope {
    return { kind: "channels", channels: [...user.channels.keys()], user: self ? user.id : undefined, watchedNick: user.folded };
  }

  /** Tells the watchers of `nick` that it came online (held by `user`) or went offline. */
  #presence(nick: string, user: ChatUser | null): void {
    // Published even with no local watcher: with a bus between nodes, watchers may be elsewhere.
    this.#publish({ kind: "watchers", nick: foldCase(nick) }, { type: "presence", nick, online: user !== null, origin: user?.originOnce() ?? null, ...this.#stamp() });
  }

  #channelScope(channel: Channel): Scope {
    return { kind: "channel", channel: channel.folded };
  }

  /** A fresh message id and the time, which every event carries. */
  #stamp(): { msgid: string; time: number } {
    return { msgid: this.#ids.next(), time: this.now() };
  }

  // ── lookups ─────────────────────────────────────────────────────────────

  findUser(nick: string): ChatUser | undefined {
    return this.#users.get(foldCase(nick));
  }

  userById(id: string): ChatUser | undefined {
    return this.#usersById.get(id);
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
      this.#newUserId(),
      details.nick,
      details.username,
      clip(details.realname, this.limits.realnameLength),
      details.hostname,
      details.address,
      details.secure,
      this.now(),
    );
    user.addSession(session);
    this.#users.set(user.folded, user);
    this.#usersById.set(user.id, user);
    this.#maxUsers = Math.max(this.#maxUsers, this.#users.size);
    this.#replicate({ op: "user", user: userSnapshot(user) });
    this.#presence(user.nick, user);
    return { ok: true, user };
  }

  /**
   * Another session of an online user (multiclient): it takes the user's nick and is
   * shown the user's channels, as a JOIN of each, nobody else seeing anything.
   */
  attach(user: ChatUser, session: Session): { missedSince: number | null } {
    // A user of another node gets a session here: that node, and every other, route its events here too.
    if (user.node !== null && user.sessionCount === 0) this.#replicate({ op: "attach", user: user.id });
    user.addSession(session);
    for (const channel of user.channels.values()) {
      session.deliver({ type: "join", from: user.origin, channel: channel.name, realname: user.realname, ...this.#stamp() }, null);
    }
    // An always-on user gets a connection again: back from the server-set away, and
    // the connection may be shown what was missed since the last one ended.
    const missedSince = user.detachedAt;
    if (missedSince !== null) {
      user.detachedAt = null;
      if (user.autoAway) this.setAway(user, null);
      this.#touched(user);
    }
    return { missedSince };
  }

  /**
   * A session ends. While the user has another session, or is always-on, nobody else
   * notices; the last session's end is the user's QUIT. Returns whether the user quit.
   */
  detach(user: ChatUser, session: Session, reason: string): boolean {
    if (!user.removeSession(session) || !this.isOnline(user)) return false;
    if (user.sessionCount > 0) return false;
    // The user lives on another node: this node only stops holding a session of it.
    if (user.node !== null) {
      this.#replicate({ op: "detach", user: user.id });
      return false;
    }
    // Its sessions on other nodes keep it present; the last of them to end makes it quit.
    if (user.otherNodes.size > 0) return false;
    if (!user.alwaysOn) {
      this.quit(user, reason);
      return true;
    }
    user.detachedAt = this.now();
    if (user.away === null) {
      this.setAway(user, DISCONNECTED_AWAY);
      user.autoAway = true;
    }
    this.#touched(user);
    return false;
  }

  /** An always-on user comes back from the store at start, with no session, in its channels. */
  restoreAlwaysOn(record: StoredAlwaysOn, multiclientDefault: boolean): ChatUser | null {
    if (!isValidNick(record.nick, this.limits.nickLength) || !this.isNickAvailable(record.nick)) return null;
    const user = new ChatUser(this.#newUserId(), record.nick, record.username, clip(record.realname, this.limits.realnameLength), record.hostname, record.hostname, false, this.now());
    this.#users.set(user.folded, user);
    this.#usersById.set(user.id, user);
    this.setAccount(user, record.account);
    user.alwaysOn = true;
    user.multiclient = record.multiclient ?? multiclientDefault;
    user.detachedAt = record.detachedAt ?? this.now();
    user.away = DISCONNECTED_AWAY;
    user.autoAway = true;
    this.#replicate({ op: "user", user: userSnapshot(user) });
    for (const name of record.channels) this.join(user, name, undefined);
    return user;
  }

  /** An always-on user's nick, channels or connection state changed: keep it. */
  #touched(user: ChatUser): void {
    if (user.alwaysOn) this.alwaysOnKeeper?.changed(user);
  }

  /** Whether further sessions of the account may attach to this user (on any node of a cluster). */
  setMulticlient(user: ChatUser, on: boolean): void {
    if (user.multiclient === on) return;
    user.multiclient = on;
    this.#replicate({ op: "fields", user: user.id, fields: { multiclient: on } });
  }

  /** The user's always-on choice changed: keep it or forget it. */
  setAlwaysOn(user: ChatUser, on: boolean): void {
    if (user.alwaysOn === on) return;
    user.alwaysOn = on;
    if (user.account !== null) this.alwaysOnKeeper?.changed(user);
  }

  /**
   * A session of a one-session user logs in to an account whose user is online
   * (multiclient): its own user leaves its channels and the chat, and the session
   * joins the account's user, seeing its nick change and the user's channels.
   */
  moveSession(session: Session, from: ChatUser, to: ChatUser): { missedSince: number | null } {
    for (const channel of [...from.channels.values()]) this.part(from, channel.name, "Attached to another connection");
    from.removeSession(session);
    this.quit(from, "Attached to another connection");
    session.deliver({ type: "nick", from: from.origin, nick: to.nick, ...this.#stamp() }, null);
    return this.attach(to, session);
  }

  /** The user leaves: every channel peer hears the quit once. Idempotent. */
  quit(user: ChatUser, reason: string): void {
    if (!this.isOnline(user)) return;
    const peers = this.#peers(user, false);
    const event = { type: "quit", from: user.origin, reason: clip(reason, this.limits.kickLength), ...this.#stamp() } as const;
    // Published before the user leaves its channels, so the scope still finds the peers.
    for (const channel of user.channels.values()) channel.members.delete(user);
    this.#publish(peers, event);
    for (const channel of user.channels.values()) if (channel.members.size === 0) this.#dropChannel(channel);
    user.channels.clear();
    this.#users.delete(user.folded);
    this.#usersById.delete(user.id);
    this.#indexAccount(user, null);
    this.#rememberNick(user);
    this.#replicate({ op: "quit", user: user.id, nick: user.nick, reason: event.reason });
    this.#presence(user.nick, null);
  }

  changeNick(user: ChatUser, nick: string): { ok: true; changed: boolean } | Failure<"erroneous-nick" | "nick-in-use"> {
    if (!isValidNick(nick, this.limits.nickLength)) return fail("erroneous-nick");
    if (!this.isNickAvailable(nick, user)) return fail("nick-in-use");
    if (nick === user.nick) return { ok: true, changed: false };
    const event: ChatEvent = { type: "nick", from: user.origin, nick, ...this.#stamp() };
    const oldNick = user.nick;
    const renamed = foldCase(nick) !== user.folded;
    if (renamed) this.#rememberNick(user);
    this.#users.delete(user.folded);
    user.rename(nick);
    this.#users.set(user.folded, user);
    this.#replicate({ op: "nick", user: user.id, nick, oldNick });
    this.#publish(this.#peers(user, true), event);
    if (renamed) {
      this.#presence(oldNick, null);
      this.#presence(nick, user);
    }
    this.#touched(user);
    return { ok: true, changed: true };
  }

  /** Away (or back, with null or ""): peers and the user's other sessions hear it. */
  setAway(user: ChatUser, message: string | null, fromSession: string | null = null): void {
    user.away = message === null || message === "" ? null : clip(message, this.limits.awayLength);
    user.autoAway = false;
    this.#replicate({ op: "fields", user: user.id, fields: { away: user.away } });
    const event: ChatEvent = { type: "away", from: user.origin, message: user.away, ...this.#stamp() };
    this.#publish(this.#peersAndWatchers(user, true), event, fromSession, true);
  }

  /** The user logged in to (or out of) an account: channel peers hear it (IRCv3 account-notify). */
  setAccount(user: ChatUser, account: string | null): void {
    if (user.account === account) return;
    this.#indexAccount(user, account);
    user.setAccount(account);
    this.#replicate({ op: "fields", user: user.id, fields: { account } });
    const event: ChatEvent = { type: "account", from: user.origin, account, ...this.#stamp() };
    this.#publish(this.#peersAndWatchers(user, false), event);
  }

  #indexAccount(user: ChatUser, account: string | null): void {
    if (user.account !== null) {
      const folded = foldCase(user.account);
      const set = this.#usersByAccount.get(folded);
      set?.delete(user);
      if (set?.size === 0) this.#usersByAccount.delete(folded);
    }
    if (account !== null) {
      const folded = foldCase(account);
      let set = this.#usersByAccount.get(folded);
      if (!set) this.#usersByAccount.set(folded, (set = new Set()));
      set.add(user);
    }
  }

  setRealname(user: ChatUser, realname: string): void {
    user.realname = clip(realname, this.limits.realnameLength);
    this.#replicate({ op: "fields", user: user.id, fields: { realname: user.realname } });
    const event: ChatEvent = { type: "realname", from: user.origin, realname: user.realname, ...this.#stamp() };
    this.#publish(this.#peersAndWatchers(user, true), event);
    this.#touched(user);
  }

  // ── read markers ────────────────────────────────────────────────────────

  /** An account's read marker moved: every session of the account hears it, nobody else; the setting session answers itself. */
  publishReadMarker(account: string, target: string, name: string, readAt: number, fromSession: string | null = null): void {
    const folded = foldCase(account);
    this.#publish({ kind: "account", account: folded }, { type: "read-marker", account: folded, target, name, time: readAt, msgid: this.#ids.next() }, fromSession, true);
  }

  // ── channels ────────────────────────────────────────────────────────────

  join(
    user: ChatUser,
    name: string,
    key: string | undefined,
    fromSession: string | null = null,
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
    const stamp = this.#stamp();
    // Ranks carry their stamp only in a cluster, where concurrent changes are ordered by it.
    channel.members.set(user, this.bus.node === null ? { op, voice: false } : { op, voice: false, rankStamp: stamp });
    user.channels.set(channel.folded, channel);
    // A new channel's state is its defaults (or its registration's, the same on every node),
    // stamped as older than any change, so a change made anywhere a moment before wins over it.
    const state = created ? channelState(channel) : null;
    this.#replicate({ op: "join", user: user.id, channel: channel.name, createdAt: channel.createdAt, chanop: op, voice: false, stamp, state });
    const event: ChatEvent = { type: "join", from: user.origin, channel: channel.name, realname: user.realname, ...stamp };
    this.#publish(this.#channelScope(channel), event, fromSession);
    this.#announceAwayOnJoin(user, channel);
    this.#touched(user);
    return { ok: true, channel, created, alreadyMember: false };
  }

  part(user: ChatUser, name: string, reason: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    const event: ChatEvent = { type: "part", from: user.origin, channel: channel.name, reason: clip(reason, this.limits.kickLength), ...this.#stamp() };
    this.#publish(this.#channelScope(channel), event);
    this.#removeMember(channel, user);
    user.channels.delete(channel.folded);
    this.#replicate({ op: "part", user: user.id, channel: channel.folded });
    this.#touched(user);
    return { ok: true };
  }

  kick(
    user: ChatUser,
    name: string,
    targetNick: string,
    reason: string,
  ): { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed" | "user-not-on-channel" | "unavailable"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    if (!channel.isOp(user)) return fail("chanop-needed");
    const target = this.findUser(targetNick);
    if (!target || !channel.members.has(target)) return fail("user-not-on-channel");
    if (target.node !== null) {
      // A user's memberships change only on its own node, in that node's order: the kick is
      // carried out there, and every node (this one too) hears it from there.
      if (!this.bus.connected) return fail("unavailable");
      this.#replicate({ op: "kick", by: user.id, user: target.id, channel: channel.folded, reason });
      return { ok: true };
    }
    this.kickMember(user, channel, target, reason);
    return { ok: true };
  }

  /** Removes `target`, a user of this node, from `channel` on `by`'s order (checked already, here or on `by`'s node). */
  kickMember(by: ChatUser, channel: Channel, target: ChatUser, reason: string): void {
    const event: ChatEvent = { type: "kick", from: by.origin, channel: channel.name, target: target.nick, reason: clip(reason, this.limits.kickLength), ...this.#stamp() };
    this.#publish(this.#channelScope(channel), event);
    this.#removeMember(channel, target);
    target.channels.delete(channel.folded);
    this.#replicate({ op: "part", user: target.id, channel: channel.folded });
    this.#touched(target);
  }

  setTopic(user: ChatUser, name: string, text: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed"> {
    const channel = this.#channels.get(foldCase(name));
    if (!channel) return fail("no-such-channel");
    if (!channel.members.has(user)) return fail("not-on-channel");
    if (channel.flags.has("topic-lock") && !channel.isOp(user)) return fail("chanop-needed");
    const topic = clip(text, this.limits.topicLength);
    const stamp = this.#stamp();
    channel.topic = topic === "" ? null : { text: topic, setBy: user.hostmask, setAt: stamp.time };
    channel.topicStamp = stamp;
    this.registry?.changed(channel);
    this.#replicate({ op: "channel", state: channelState(channel) });
    const event: ChatEvent = { type: "topic", from: user.origin, channel: channel.name, topic, ...stamp };
    this.#publish(this.#channelScope(channel), event);
    return { ok: true };
  }

  invite(
    user: ChatUser,
    targetNick: string,
    name: string,
    fromSession: string | null = null,
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
      this.#replicate({ op: "invite", channel: channel.folded, nick: target.folded });
    }
    const event: ChatEvent = { type: "invite", from: user.origin, channel: channelName, target: target.nick, ...this.#stamp() };
    this.#publish({ kind: "users", users: [target.id] }, event);
    // Channel operators hear of invites too (IRCv3 invite-notify); each adapter decides whether to show it.
    if (channel) this.#publish({ kind: "channel", channel: channel.folded, rank: "op" }, event, fromSession, true);
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
    const stamp = this.#stamp();
    const result = applyModeRequests(channel, user, requests, { maxListEntries: this.limits.maxListEntries, now: stamp.time, findUser: (nick) => this.findUser(nick) });
    if (result.applied.some((change) => change.kind !== "member" && change.kind !== "list")) this.registry?.changed(channel);
    if (result.applied.length > 0) {
      for (const change of result.applied) {
        if (change.kind !== "member") channel.modesStamp = stamp;
        else {
          const member = this.findUser(change.nick);
          const membership = member && channel.members.get(member);
          if (membership && this.bus.node !== null) membership.rankStamp = stamp;
        }
      }
      this.#replicate({ op: "channel", state: channelState(channel) });
      this.#publish(this.#channelScope(channel), { type: "mode", from: user.origin, channel: channel.name, changes: result.applied, ...stamp });
    }
    return { ok: true, ...result };
  }

  /** An operator removes a user: it quits (always-on or not) and every session of it is closed. */
  kill(target: ChatUser, reason: string): void {
    const sessions = [...target.sessions()];
    this.quit(target, reason);
    for (const session of sessions) session.close(reason);
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
    return { type: "message", kind, from: user.origin, target, text, tags, ...this.#stamp() };
  }

  /**
   * Hands a message to its recipients and to the sender's other sessions (so each
   * shows the whole conversation). The sending session is not among them: echoing
   * it back (IRCv3 echo-message) is that session's adapter's business; a message to
   * oneself reaches every session of the sender, the sending one included.
   */
  deliverMessage(event: MessageEvent, destination: MessageDestination | null, sender: ChatUser, fromSession: string | null): void {
    if (destination?.channel) {
      this.#publish(this.#channelScope(destination.channel), event, fromSession, true);
      return;
    }
    const recipient = destination?.recipient;
    if (recipient === sender) {
      this.#publish({ kind: "users", users: [sender.id] }, event, fromSession, false);
      return;
    }
    const users = recipient && this.isOnline(recipient) ? [recipient.id, sender.id] : [sender.id];
    this.#publish({ kind: "users", users }, event, fromSession, true);
  }

  /**
   * A message was removed from history (see redaction.ts): the conversation hears it —
   * a channel's members, or every user of the direct conversation's accounts (the
   * remover's other sessions too) and its guest party if online. The removing session
   * answers itself.
   */
  announceRedaction(
    user: ChatUser,
    conversation: { readonly channel: string } | { readonly accounts: readonly string[]; readonly guestNick: string | null },
    target: string,
    redacted: string,
    reason: string | null,
    fromSession: string | null,
  ): RedactEvent {
    const event: RedactEvent = { type: "redact", from: user.origin, target, redacted, reason: reason === null ? null : clip(reason, this.limits.kickLength), ...this.#stamp() };
    if ("channel" in conversation) {
      this.#publish({ kind: "channel", channel: conversation.channel }, event, fromSession, true);
      return event;
    }
    for (const account of new Set(conversation.accounts)) this.#publish({ kind: "account", account }, event, fromSession, true);
    const guest = conversation.guestNick === null ? undefined : this.findUser(conversation.guestNick);
    if (guest && guest.account === null) this.#publish({ kind: "users", users: [guest.id] }, event, fromSession, true);
    return event;
  }

  /**
   * IRCv3 away-notify: a user who is away when it joins is announced as away to the
   * channel's other members right after its JOIN (not to its own sessions: for them
   * an away event means "you are away").
   */
  #announceAwayOnJoin(user: ChatUser, channel: Channel): void {
    if (user.away === null) return;
    // Not to the user itself: its sessions would take it for an AWAY command of its own.
    this.#publish({ kind: "channel", channel: channel.folded, exceptUser: user.id }, { type: "away", from: user.origin, message: user.away, ...this.#stamp() });
  }

  /** WALLOPS: an operator's message to every user with user mode +w (the sender too, if it has it); adapters check +w. */
  wallops(user: ChatUser, text: string): void {
    this.#publish({ kind: "everyone" }, { type: "wallops", from: user.origin, text, ...this.#stamp() });
  }

  /** A channel message for the members of at least `minimum` status (STATUSMSG); the sending session answers itself. */
  deliverToStatus(channel: Channel, event: MessageEvent, minimum: MemberMode, fromSession: string | null): void {
    this.#publish({ kind: "channel", channel: channel.folded, rank: minimum }, event, fromSession, true);
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
    return [...(this.#usersByAccount.get(account) ?? [])];
  }

  /**
   * The online user of `account` (folded) that another session of the account may
   * attach to: an always-on user with no session always; one with sessions only
   * when multiclient is wanted (`shared`) and the user allows it.
   */
  multiclientUser(account: string, shared: boolean): ChatUser | undefined {
    for (const user of this.#usersByAccount.get(account) ?? []) {
      // A user of another node is joined only by multiclient, never as a detached always-on user.
      if (user.node !== null) {
        if (shared && user.multiclient) return user;
        continue;
      }
      if (user.sessionCount === 0 || (shared && user.multiclient)) return user;
    }
    return undefined;
  }

  isOnline(user: ChatUser): boolean {
    return this.#usersById.get(user.id) === user;
  }

  #removeMember(channel: Channel, user: ChatUser): void {
    channel.members.delete(user);
    if (channel.members.size === 0) this.#dropChannel(channel);
  }

  /** An emptied channel goes (in a cluster its last state is kept a moment: channel-graveyard.ts). */
  #dropChannel(channel: Channel): void {
    this.#channels.delete(channel.folded);
    if (this.bus.node !== null) this.replica.graveyard.bury(channel);
  }
}
