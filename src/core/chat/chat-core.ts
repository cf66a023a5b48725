import type { ChatEvent, ClientTags, MessageEvent, MessageKind, RedactEvent } from "./events.js";
import type { Session } from "./session.js";
import type { Channel, MemberMode } from "./channel.js";
import type { ChatUser } from "./user.js";
import { foldCase, isValidNick } from "./names.js";
import { fail, type Failure } from "./results.js";
import { MessageIds } from "./message-ids.js";
import { WhowasHistory, type WhowasEntry } from "./whowas.js";
import type { ModeRequest } from "./channel-modes.js";
import type { ChannelRegistry } from "./channel-registry.js";
import type { Bus, Scope } from "./bus.js";
import { LocalIndex } from "./local-index.js";
import { NickWatchers } from "./nick-watchers.js";
import type { AlwaysOnKeeper, StoredAlwaysOn } from "./always-on.js";
import type { StoredMessage } from "./history.js";
import { Observers } from "./observers.js";
import { channelState, type StateOp } from "./replication.js";
import { Replica } from "./replica.js";
import { clip, type ChatLimits, type ChatStats, type CoreServices, type MessageDestination, type NewUser, type Stamp } from "./chat-types.js";
import { ChannelOps, type InviteResult, type JoinResult, type KickResult, type ModesResult } from "./channel-ops.js";
import { UserLifecycle } from "./user-lifecycle.js";
import { UserFields } from "./user-fields.js";
import { channelScope, watchersScope } from "./scopes.js";
import { RESERVED_NAMES } from "../reserved-names.js";

export { clip, DISCONNECTED_AWAY, type ChatLimits, type ChatStats, type MessageDestination, type NewUser } from "./chat-types.js";

/**
 * The protocol-agnostic chat domain of one node: who is online, which channels
 * exist, who is in them, and the rules for every change. It never formats a wire
 * line: every event leaves through the bus (`publish(scope, event)`), whose local
 * index hands it to sessions, and each session's adapter formats it.
 *
 * This file holds the state, the lookups and messages (the hot path); channel
 * operations are in channel-ops.ts, a user's connect/sessions/nick/quit in
 * user-lifecycle.ts and its own fields in user-fields.ts, each reached through
 * a method here of the same name.
 */
export class ChatCore {
  /** Users by folded nick. */
  readonly #users = new Map<string, ChatUser>();
  readonly #usersById = new Map<string, ChatUser>();
  /** Users logged in to each (folded) account. */
  readonly #usersByAccount = new Map<string, Set<ChatUser>>();
  readonly #channels = new Map<string, Channel>();
  readonly #ids = new MessageIds();
  /** Nicks no user may take: the service names (reserved-names.ts). */
  readonly #reserved = new Set<string>(RESERVED_NAMES.map(foldCase));
  readonly #whowas: WhowasHistory;
  /** MONITOR: who watches which nick. */
  readonly watchers = new NickWatchers((nick) => isValidNick(nick, this.limits.nickLength));
  #nextUserId = 1;
  #maxUsers = 0;
  /** Keeps always-on users' state in the store; null when nothing persists (unit tests). */
  alwaysOnKeeper: AlwaysOnKeeper | null = null;
  /** Every message a redaction removed from history (file shares take back what it granted). */
  readonly removedMessages = new Observers<StoredMessage>();
  /** Every direct message that reached a session of a user on this node (accounts are marked seen: src/core/accounts/last-seen.ts). */
  readonly directShown = new Observers<{ readonly user: ChatUser; readonly event: MessageEvent }>();
  /** In a cluster: applies the other nodes' state changes to this node's replica of them. */
  readonly replica: Replica;
  readonly #local: LocalIndex;
  readonly #channelOps: ChannelOps;
  readonly #lifecycle: UserLifecycle;
  readonly #fields: UserFields;

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
      directShown: (user, event) => {
        if (this.directShown.size > 0) this.directShown.notify({ user, event });
      },
    });
    bus.attach(this.#local);
    const services: CoreServices = {
      limits: () => this.limits,
      bus,
      publish: (scope, event, fromSession = null, skipOrigin = false) => this.#publish(scope, event, fromSession, skipOrigin),
      replicate: (op) => this.#replicate(op),
      stamp: () => this.#stamp(),
      now: () => this.now(),
      findUser: (nick) => this.findUser(nick),
      touched: (user) => this.#touched(user),
    };
    const indexAccount = (user: ChatUser, account: string | null): void => this.#indexAccount(user, account);
    this.#channelOps = new ChannelOps({ ...services, channels: this.#channels, registry, bury: (channel) => this.replica.graveyard.bury(channel) });
    this.#fields = new UserFields({ ...services, indexAccount, alwaysOnKeeper: () => this.alwaysOnKeeper });
    this.#lifecycle = new UserLifecycle({
      ...services,
      users: this.#users,
      usersById: this.#usersById,
      channelOps: this.#channelOps,
      fields: this.#fields,
      newUserId: () => this.#newUserId(),
      countUser: () => this.#countUser(),
      isNickAvailable: (nick, forUser) => this.isNickAvailable(nick, forUser),
      isOnline: (user) => this.isOnline(user),
      indexAccount,
      rememberNick: (user) => this.#rememberNick(user),
    });
    this.replica = new Replica({
      users: this.#users,
      usersById: this.#usersById,
      channels: this.#channels,
      indexAccount,
      rememberNick: (user) => this.#rememberNick(user),
      deliverLocal: (scope, event) => this.#local.deliverLocal({ scope, event, fromSession: null, skipOrigin: false }),
      stamp: () => this.#stamp(),
      presence: (nick, user) => this.#local.deliverLocal({ scope: watchersScope(nick), event: { type: "presence", nick, online: user !== null, origin: user?.originOnce() ?? null, ...this.#stamp() }, fromSession: null, skipOrigin: false }),
      countUser: () => this.#countUser(),
      quit: (user, reason) => this.quit(user, reason),
      kick: (by, channel, target, reason) => this.kickMember(by, channel, target, reason),
      reassert: (channel) => this.#replicate({ op: "channel", state: channelState(channel) }),
      resumed: (user) => this.#lifecycle.resume(user),
      suspended: (user) => this.#lifecycle.suspend(user),
      touched: (user) => this.#touched(user),
      modesChanged: (channel) => this.registry?.changed(channel),
      now: () => this.now(),
    });
  }

  /** A state change the other nodes of a cluster must see (nothing on a node on its own). */
  #replicate(op: StateOp): void {
    this.bus.replicate(op);
  }

  #newUserId(): string {
    const n = (this.#nextUserId++).toString(36);
    return this.bus.node === null ? n : `${this.bus.node}.${n}`;
  }

  /** Counts the users online now towards the most there have been (LUSERS). */
  #countUser(): void {
    this.#maxUsers = Math.max(this.#maxUsers, this.#users.size);
  }

  /** The one way out of the core for every event. */
  #publish(scope: Scope, event: ChatEvent, fromSession: string | null = null, skipOrigin = false): void {
    this.bus.publish({ scope, event, fromSession, skipOrigin });
  }

  /** A fresh message id and the time, which every event carries. */
  #stamp(): Stamp {
    return { msgid: this.#ids.next(), time: this.now() };
  }

  /** An always-on user's nick, channels or connection state changed: keep it. */
  #touched(user: ChatUser): void {
    if (user.alwaysOn) this.alwaysOnKeeper?.changed(user);
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

  /** Users who share at least one channel with `user`, each once, without `user`. */
  peersOf(user: ChatUser): Set<ChatUser> {
    const peers = new Set<ChatUser>();
    for (const channel of user.channels.values()) {
      for (const member of channel.members.keys()) if (member !== user) peers.add(member);
    }
    return peers;
  }

  // ── a user's life (user-lifecycle.ts) ───────────────────────────────────

  connect(session: Session, details: NewUser): { ok: true; user: ChatUser } | Failure<"erroneous-nick" | "nick-in-use"> {
    return this.#lifecycle.connect(session, details);
  }

  attach(user: ChatUser, session: Session): { missedSince: number | null } {
    return this.#lifecycle.attach(user, session);
  }

  detach(user: ChatUser, session: Session, reason: string): boolean {
    return this.#lifecycle.detach(user, session, reason);
  }

  restoreAlwaysOn(record: StoredAlwaysOn, multiclientDefault: boolean): ChatUser | null {
    return this.#lifecycle.restoreAlwaysOn(record, multiclientDefault);
  }

  moveSession(session: Session, from: ChatUser, to: ChatUser): { missedSince: number | null } {
    return this.#lifecycle.moveSession(session, from, to);
  }

  quit(user: ChatUser, reason: string): void {
    this.#lifecycle.quit(user, reason);
  }

  /**
   * In a cluster, the registrations of these channels as the database holds them, read into
   * the registry before a JOIN creates any of them here: a channel registered on another node
   * moments ago then gets its founder and kept modes, not a first joiner made operator.
   * Nothing to read on a node on its own, whose registry is the only writer.
   */
  learnRegistrations(names: readonly string[]): Promise<unknown> | undefined {
    const registry = this.registry;
    if (registry === null || this.bus.node === null) return undefined;
    const unknown = names.filter((name) => !this.findChannel(name));
    return unknown.length === 0 ? undefined : Promise.all(unknown.map((name) => registry.lookup(name)));
  }

  kill(target: ChatUser, reason: string): void {
    this.#lifecycle.kill(target, reason);
  }


  changeNick(user: ChatUser, nick: string): { ok: true; changed: boolean } | Failure<"erroneous-nick" | "nick-in-use"> {
    return this.#lifecycle.changeNick(user, nick);
  }

  // ── a user's fields (user-fields.ts) ────────────────────────────────────

  userModesChanged(user: ChatUser): void {
    this.#fields.userModesChanged(user);
  }

  setMulticlient(user: ChatUser, on: boolean): void {
    this.#fields.setMulticlient(user, on);
  }

  setAlwaysOn(user: ChatUser, on: boolean): void {
    this.#fields.setAlwaysOn(user, on);
  }

  setAway(user: ChatUser, message: string | null, fromSession: string | null = null): void {
    this.#fields.setAway(user, message, fromSession);
  }

  setAccount(user: ChatUser, account: string | null): void {
    this.#fields.setAccount(user, account);
  }

  setRealname(user: ChatUser, realname: string): void {
    this.#fields.setRealname(user, realname);
  }

  // ── channels (channel-ops.ts) ───────────────────────────────────────────

  join(user: ChatUser, name: string, key: string | undefined, fromSession: string | null = null): JoinResult {
    return this.#channelOps.join(user, name, key, fromSession);
  }

  part(user: ChatUser, name: string, reason: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel"> {
    return this.#channelOps.part(user, name, reason);
  }

  kick(user: ChatUser, name: string, targetNick: string, reason: string): KickResult {
    return this.#channelOps.kick(user, name, targetNick, reason);
  }

  kickMember(by: ChatUser, channel: Channel, target: ChatUser, reason: string): void {
    this.#channelOps.kickMember(by, channel, target, reason);
  }

  setTopic(user: ChatUser, name: string, text: string): { ok: true } | Failure<"no-such-channel" | "not-on-channel" | "chanop-needed"> {
    return this.#channelOps.setTopic(user, name, text);
  }

  invite(user: ChatUser, targetNick: string, name: string, fromSession: string | null = null): InviteResult {
    return this.#channelOps.invite(user, targetNick, name, fromSession);
  }

  changeModes(user: ChatUser, name: string, requests: readonly ModeRequest[]): ModesResult {
    return this.#channelOps.changeModes(user, name, requests);
  }

  // ── read markers ────────────────────────────────────────────────────────

  /** An account's read marker moved: every session of the account hears it, nobody else; the setting session answers itself. */
  publishReadMarker(account: string, target: string, name: string, readAt: number, fromSession: string | null = null): void {
    const folded = foldCase(account);
    this.#publish({ kind: "account", account: folded }, { type: "read-marker", account: folded, target, name, time: readAt, msgid: this.#ids.next() }, fromSession, true);
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
    // Written out rather than spread from #stamp(): one object per message, the same shape.
    return { type: "message", kind, from: user.origin, target, text, tags, msgid: this.#ids.next(), time: this.now() };
  }

  /**
   * Hands a message to its recipients and to the sender's other sessions (so each
   * shows the whole conversation). The sending session is not among them: echoing
   * it back (IRCv3 echo-message) is that session's adapter's business; a message to
   * oneself reaches every session of the sender, the sending one included.
   */
  deliverMessage(event: MessageEvent, destination: MessageDestination | null, sender: ChatUser, fromSession: string | null): void {
    if (destination?.channel) {
      this.#publish(channelScope(destination.channel), event, fromSession, true);
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

  /** WALLOPS: an operator's message to every user with user mode +w (the sender too, if it has it); adapters check +w. */
  wallops(user: ChatUser, text: string): void {
    this.#publish({ kind: "everyone" }, { type: "wallops", from: user.origin, text, ...this.#stamp() });
  }

  /** A channel message for the members of at least `minimum` status (STATUSMSG); the sending session answers itself. */
  deliverToStatus(channel: Channel, event: MessageEvent, minimum: MemberMode, fromSession: string | null): void {
    this.#publish({ kind: "channel", channel: channel.folded, rank: minimum }, event, fromSession, true);
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
}
