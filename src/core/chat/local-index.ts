import type { LocalDelivery, Publication, Scope } from "./bus.js";
import type { Channel } from "./channel.js";
import type { ChatUser } from "./user.js";
import type { Session } from "./session.js";
import type { MessageEvent } from "./events.js";

/** What the index reads of the chat core's state. */
export interface LocalState {
  channel(folded: string): Channel | undefined;
  userById(id: string): ChatUser | undefined;
  usersOfAccount(folded: string): Iterable<ChatUser>;
  allUsers(): Iterable<ChatUser>;
  /** This node's sessions that watch the (folded) nick (MONITOR). */
  watchersOf(folded: string): Iterable<Session>;
  /** A direct message reached at least one session of `user` on this node (accounts' last-seen times follow it). */
  directShown?(user: ChatUser, event: MessageEvent): void;
}

/** Lists of users up to this long are checked for repeats without a Set. */
const SHORT_USER_LIST = 8;

/**
 * Resolves a publication's scope to the sessions on this node and hands each the
 * event, the same object to all (adapters format it once per wire format).
 */
export class LocalIndex implements LocalDelivery {
  constructor(private readonly state: LocalState) {}

  deliverLocal(publication: Publication): void {
    const { scope } = publication;
    switch (scope.kind) {
      case "channel": {
        const channel = this.state.channel(scope.channel);
        if (!channel) return;
        if (scope.rank === undefined && scope.exceptUser === undefined) {
          // The fan-out path: no membership entries unpacked per member.
          for (const member of channel.members.keys()) this.#toUser(member, publication);
          return;
        }
        for (const [member, membership] of channel.members) {
          if (member.id === scope.exceptUser) continue;
          if (scope.rank === "op" && !membership.op) continue;
          if (scope.rank === "voice" && !membership.op && !membership.voice) continue;
          this.#toUser(member, publication);
        }
        return;
      }
      case "channels": {
        const reached = new Set<ChatUser>();
        for (const folded of scope.channels) {
          const channel = this.state.channel(folded);
          if (!channel) continue;
          for (const member of channel.members.keys()) {
            if (reached.has(member)) continue;
            reached.add(member);
            this.#toUser(member, publication);
          }
        }
        const user = scope.user === undefined ? undefined : this.state.userById(scope.user);
        if (user && !reached.has(user)) {
          reached.add(user);
          this.#toUser(user, publication);
        }
        if (scope.watchedNick !== undefined) {
          // Sessions already reached through a channel get the event once; the set is built only when someone watches.
          let covered: Set<Session> | null = null;
          for (const session of this.state.watchersOf(scope.watchedNick)) {
            covered ??= new Set([...reached].flatMap((member) => [...member.sessions()]));
            if (!covered.has(session)) this.#toSession(session, publication);
          }
        }
        return;
      }
      case "watchers":
        for (const session of this.state.watchersOf(scope.nick)) this.#toSession(session, publication);
        return;
      case "users": {
        // A direct message names one or two users: a look back along so short a list
        // finds a repeat without a Set per message; a long list gets one.
        const ids = scope.users;
        const seen = ids.length > SHORT_USER_LIST ? new Set<string>() : null;
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          // (lastIndexOf with a negative start would count from the end: the first id is never a repeat.)
          if (seen === null ? i > 0 && ids.lastIndexOf(id, i - 1) !== -1 : seen.has(id)) continue;
          seen?.add(id);
          const user = this.state.userById(id);
          if (user && this.#toUser(user, publication) && publication.event.type === "message") this.state.directShown?.(user, publication.event);
        }
        return;
      }
      case "account":
        for (const user of this.state.usersOfAccount(scope.account)) this.#toUser(user, publication);
        return;
      case "everyone":
        for (const user of this.state.allUsers()) this.#toUser(user, publication);
        return;
    }
  }

  remoteNodes(scope: Scope): ReadonlySet<string> | "all" {
    const nodes = new Set<string>();
    const addUser = (user: ChatUser | undefined): void => {
      if (!user) return;
      if (user.node) nodes.add(user.node);
      if (user.otherNodes.size > 0) for (const node of user.otherNodes) nodes.add(node);
    };
    switch (scope.kind) {
      case "channel":
        for (const member of this.state.channel(scope.channel)?.members.keys() ?? []) addUser(member);
        return nodes;
      case "channels":
        // Watchers of a nick may be on any node.
        if (scope.watchedNick !== undefined) return "all";
        for (const folded of scope.channels) for (const member of this.state.channel(folded)?.members.keys() ?? []) addUser(member);
        if (scope.user !== undefined) addUser(this.state.userById(scope.user));
        return nodes;
      case "users":
        for (const id of scope.users) addUser(this.state.userById(id));
        return nodes;
      case "watchers":
      case "account":
      case "everyone":
        // An account's users may be offline here yet online elsewhere; rare events, sent to all.
        return "all";
    }
  }

  /** Whether a session of `user` here was handed the event (the one it came from is not). */
  #toUser(user: ChatUser, publication: Publication): boolean {
    const only = user.onlySession;
    if (only !== null) return this.#toSession(only, publication);
    let reached = false;
    for (const session of user.sessions()) reached = this.#toSession(session, publication) || reached;
    return reached;
  }

  #toSession(session: Session, { event, fromSession, skipOrigin }: Publication): boolean {
    if (skipOrigin && session.id === fromSession) return false;
    session.deliver(event, fromSession);
    return true;
  }
}
