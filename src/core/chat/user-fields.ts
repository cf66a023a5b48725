/**
 * Changes to an online user's own fields: away, account, realname, user modes,
 * and the multiclient and always-on choices. Each replicates the new value to the
 * other nodes of a cluster, then tells those who see the user (channel peers, its
 * other sessions, watchers of its nick). The core (chat-core.ts) hands each call on to here.
 */
import type { ChatEvent } from "./events.js";
import type { ChatUser } from "./user.js";
import type { AlwaysOnKeeper } from "./always-on.js";
import { clip, type CoreServices } from "./chat-types.js";
import { peersAndWatchersScope } from "./scopes.js";

/** What user field changes reach of the chat core beyond its services. */
export interface UserFieldsHost extends CoreServices {
  /** Moves `user` in the core's index of users by account. */
  indexAccount(user: ChatUser, account: string | null): void;
  /** Where always-on users are kept, read at each use (the server sets it after start). */
  alwaysOnKeeper(): AlwaysOnKeeper | null;
}

export class UserFields {
  constructor(private readonly host: UserFieldsHost) {}

  /** A user's modes (+i, +w, +B, operator) changed: the other nodes' replicas follow. */
  userModesChanged(user: ChatUser): void {
    this.host.replicate({ op: "fields", user: user.id, fields: { isOperator: user.isOperator, invisible: user.invisible, wallops: user.wallops, bot: user.bot } });
    // An always-on user's +i, +w and +B come back after a restart.
    this.host.touched(user);
  }

  /** Whether further sessions of the account may attach to this user (on any node of a cluster). */
  setMulticlient(user: ChatUser, on: boolean): void {
    if (user.multiclient === on) return;
    user.multiclient = on;
    this.host.replicate({ op: "fields", user: user.id, fields: { multiclient: on } });
  }

  /** The user's always-on choice changed: keep it or forget it. */
  setAlwaysOn(user: ChatUser, on: boolean): void {
    if (user.alwaysOn === on) return;
    user.alwaysOn = on;
    if (user.account !== null) this.host.alwaysOnKeeper()?.changed(user);
  }

  /** Away (or back, with null or ""): peers and the user's other sessions hear it. */
  setAway(user: ChatUser, message: string | null, fromSession: string | null = null): void {
    const host = this.host;
    const away = message === null || message === "" ? null : clip(message, host.limits().awayLength);
    // Nothing changed (back when not away, the same message again): nobody is told (IRCv3 away-notify).
    if (away === user.away && !user.autoAway) return;
    user.away = away;
    user.autoAway = false;
    host.replicate({ op: "fields", user: user.id, fields: { away: user.away } });
    const event: ChatEvent = { type: "away", from: user.origin, message: user.away, ...host.stamp() };
    host.publish(peersAndWatchersScope(user, true), event, fromSession, true);
    // An always-on user's own away message comes back after a restart.
    host.touched(user);
  }

  /** The user logged in to (or out of) an account: channel peers hear it (IRCv3 account-notify). */
  setAccount(user: ChatUser, account: string | null): void {
    if (user.account === account) return;
    const host = this.host;
    host.indexAccount(user, account);
    user.setAccount(account);
    host.replicate({ op: "fields", user: user.id, fields: { account } });
    const event: ChatEvent = { type: "account", from: user.origin, account, ...host.stamp() };
    host.publish(peersAndWatchersScope(user, false), event);
  }

  setRealname(user: ChatUser, realname: string): void {
    const host = this.host;
    user.realname = clip(realname, host.limits().realnameLength);
    host.replicate({ op: "fields", user: user.id, fields: { realname: user.realname } });
    const event: ChatEvent = { type: "realname", from: user.origin, realname: user.realname, ...host.stamp() };
    host.publish(peersAndWatchersScope(user, true), event);
    host.touched(user);
  }
}
