/**
 * A user's life on this node: it connects (or comes back from the store as an
 * always-on user), gains and loses sessions (multiclient, always-on detach), changes
 * its nick, and quits. Watchers of its nick hear it come and go. The core
 * (chat-core.ts) owns the users and hands each call on to here.
 *
 * Each change replicates its state op where it does, in the order it does: the
 * other nodes of a cluster apply ops in each node's order (replica.ts).
 */
import type { ChatEvent } from "./events.js";
import type { Session } from "./session.js";
import { ChatUser } from "./user.js";
import { foldCase, isValidNick } from "./names.js";
import { fail, type Failure } from "./results.js";
import type { StoredAlwaysOn } from "./always-on.js";
import { userSnapshot } from "./replication.js";
import { clip, DISCONNECTED_AWAY, type CoreServices, type NewUser } from "./chat-types.js";
import type { ChannelOps } from "./channel-ops.js";
import type { UserFields } from "./user-fields.js";
import { peersScope, watchersScope } from "./scopes.js";

/** What the user lifecycle reaches of the chat core beyond its services. */
export interface UserLifecycleHost extends CoreServices {
  /** Online users by folded nick, and by id. */
  readonly users: Map<string, ChatUser>;
  readonly usersById: Map<string, ChatUser>;
  readonly channelOps: ChannelOps;
  readonly fields: UserFields;
  newUserId(): string;
  /** Counts the users online now towards the most there have been. */
  countUser(): void;
  isNickAvailable(nick: string, forUser?: ChatUser): boolean;
  isOnline(user: ChatUser): boolean;
  indexAccount(user: ChatUser, account: string | null): void;
  /** Keeps a user's nick for WHOWAS. */
  rememberNick(user: ChatUser): void;
}

export class UserLifecycle {
  constructor(private readonly host: UserLifecycleHost) {}

  connect(session: Session, details: NewUser): { ok: true; user: ChatUser } | Failure<"erroneous-nick" | "nick-in-use"> {
    const host = this.host;
    if (!isValidNick(details.nick, host.limits().nickLength)) return fail("erroneous-nick");
    if (!host.isNickAvailable(details.nick)) return fail("nick-in-use");
    const user = new ChatUser(
      host.newUserId(),
      details.nick,
      details.username,
      clip(details.realname, host.limits().realnameLength),
      details.hostname,
      details.address,
      details.secure,
      host.now(),
    );
    user.addSession(session);
    host.users.set(user.folded, user);
    host.usersById.set(user.id, user);
    host.countUser();
    host.replicate({ op: "user", user: userSnapshot(user) });
    this.#presence(user.nick, user);
    return { ok: true, user };
  }

  /**
   * Another session of an online user (multiclient): it takes the user's nick and is
   * shown the user's channels, as a JOIN of each, nobody else seeing anything.
   */
  attach(user: ChatUser, session: Session): { missedSince: number | null } {
    const host = this.host;
    // A user of another node gets a session here: that node, and every other, route its events here too.
    if (user.node !== null && user.sessionCount === 0) host.replicate({ op: "attach", user: user.id });
    user.addSession(session);
    for (const channel of user.channels.values()) {
      session.deliver({ type: "join", from: user.origin, channel: channel.name, realname: user.realname, ...host.stamp() }, null);
    }
    // The connection may be shown what was missed since the last one ended.
    const missedSince = user.detachedAt;
    this.resume(user);
    return { missedSince };
  }

  /**
   * An always-on user with no connection gets one again (here, or on another node of a
   * cluster): back from the server-set away, and no longer "detached" for the next restart.
   */
  resume(user: ChatUser): void {
    if (user.detachedAt === null) return;
    user.detachedAt = null;
    if (user.autoAway) this.host.fields.setAway(user, null);
    this.host.touched(user);
  }

  /**
   * A session ends. While the user has another session, or is always-on, nobody else
   * notices; the last session's end is the user's QUIT. Returns whether the user quit.
   */
  detach(user: ChatUser, session: Session, reason: string): boolean {
    const host = this.host;
    if (!user.removeSession(session) || !host.isOnline(user)) return false;
    if (user.sessionCount > 0) return false;
    // The user lives on another node: this node only stops holding a session of it.
    if (user.node !== null) {
      // With the reason: the user's own node makes the QUIT if this was its last session anywhere.
      host.replicate({ op: "detach", user: user.id, reason });
      return false;
    }
    // Its sessions on other nodes keep it present; the last of them to end makes it quit.
    if (user.otherNodes.size > 0) return false;
    // Only an account stays on: a guest's last session ending is always its QUIT.
    if (!user.alwaysOn || user.account === null) {
      this.quit(user, reason);
      return true;
    }
    this.suspend(user);
    return false;
  }

  /**
   * An always-on user's last connection anywhere ended (here, or on another node of a
   * cluster): it stays, set away by the server, and what it misses from now is kept for it.
   */
  suspend(user: ChatUser): void {
    user.detachedAt = this.host.now();
    if (user.away === null) {
      this.host.fields.setAway(user, DISCONNECTED_AWAY);
      user.autoAway = true;
    }
    this.host.touched(user);
  }

  /**
   * An always-on user comes back from the store at start, with no session, in its channels
   * with the status it had there, and with its own away message and user modes.
   */
  restoreAlwaysOn(record: StoredAlwaysOn, multiclientDefault: boolean): ChatUser | null {
    const host = this.host;
    if (!isValidNick(record.nick, host.limits().nickLength) || !host.isNickAvailable(record.nick)) return null;
    const user = new ChatUser(host.newUserId(), record.nick, record.username, clip(record.realname, host.limits().realnameLength), record.hostname, record.hostname, false, host.now());
    host.users.set(user.folded, user);
    host.usersById.set(user.id, user);
    host.fields.setAccount(user, record.account);
    user.alwaysOn = true;
    user.multiclient = record.multiclient ?? multiclientDefault;
    user.detachedAt = record.detachedAt ?? host.now();
    // Its own away message stays its own (a connection coming back does not end it); without one it is the server's.
    const away = record.away === null || record.away === "" ? null : clip(record.away, host.limits().awayLength);
    user.away = away ?? DISCONNECTED_AWAY;
    user.autoAway = away === null;
    user.invisible = record.modes.invisible;
    user.wallops = record.modes.wallops;
    if (record.modes.bot) user.setBot(true);
    host.replicate({ op: "user", user: userSnapshot(user) });
    for (const channel of record.channels) host.channelOps.join(user, channel.name, undefined, null, { op: channel.op, voice: channel.voice });
    return user;
  }

  /**
   * A session of a one-session user logs in to an account whose user is online
   * (multiclient): its own user leaves its channels and the chat, and the session
   * joins the account's user, seeing its nick change and the user's channels.
   */
  moveSession(session: Session, from: ChatUser, to: ChatUser): { missedSince: number | null } {
    for (const channel of [...from.channels.values()]) this.host.channelOps.part(from, channel.name, "Attached to another connection");
    from.removeSession(session);
    this.quit(from, "Attached to another connection");
    session.deliver({ type: "nick", from: from.origin, nick: to.nick, ...this.host.stamp() }, null);
    return this.attach(to, session);
  }

  /** The user leaves: every channel peer hears the quit once. Idempotent. */
  quit(user: ChatUser, reason: string): void {
    const host = this.host;
    if (!host.isOnline(user)) return;
    const peers = peersScope(user, false);
    const event = { type: "quit", from: user.origin, reason: clip(reason, host.limits().kickLength), ...host.stamp() } as const;
    // Published before the user leaves its channels, so the scope still finds the peers.
    for (const channel of user.channels.values()) channel.members.delete(user);
    host.publish(peers, event);
    for (const channel of user.channels.values()) if (channel.members.size === 0) host.channelOps.dropChannel(channel);
    user.leftAllChannels();
    user.forgetInvitations();
    host.users.delete(user.folded);
    host.usersById.delete(user.id);
    host.indexAccount(user, null);
    host.rememberNick(user);
    host.replicate({ op: "quit", user: user.id, nick: user.nick, reason: event.reason });
    this.#presence(user.nick, null);
  }

  /** An operator removes a user: it quits (always-on or not) and every session of it is closed. */
  kill(target: ChatUser, reason: string): void {
    const sessions = [...target.sessions()];
    this.quit(target, reason);
    for (const session of sessions) session.close(reason);
  }

  changeNick(user: ChatUser, nick: string): { ok: true; changed: boolean } | Failure<"erroneous-nick" | "nick-in-use"> {
    const host = this.host;
    if (!isValidNick(nick, host.limits().nickLength)) return fail("erroneous-nick");
    if (!host.isNickAvailable(nick, user)) return fail("nick-in-use");
    if (nick === user.nick) return { ok: true, changed: false };
    const event: ChatEvent = { type: "nick", from: user.origin, nick, ...host.stamp() };
    const oldNick = user.nick;
    const renamed = foldCase(nick) !== user.folded;
    if (renamed) host.rememberNick(user);
    host.users.delete(user.folded);
    user.rename(nick);
    host.users.set(user.folded, user);
    host.replicate({ op: "nick", user: user.id, nick, oldNick });
    host.publish(peersScope(user, true), event);
    if (renamed) {
      this.#presence(oldNick, null);
      this.#presence(nick, user);
    }
    host.touched(user);
    return { ok: true, changed: true };
  }

  /** Tells the watchers of `nick` that it came online (held by `user`) or went offline. */
  #presence(nick: string, user: ChatUser | null): void {
    // Published even with no local watcher: with a bus between nodes, watchers may be elsewhere.
    this.host.publish(watchersScope(nick), { type: "presence", nick, online: user !== null, origin: user?.originOnce() ?? null, ...this.host.stamp() });
  }
}
