import type { LocalDelivery, Publication } from "./bus.js";
import type { Channel } from "./channel.js";
import type { ChatUser } from "./user.js";

/** What the index reads of the chat core's state. */
export interface LocalState {
  channel(folded: string): Channel | undefined;
  userById(id: string): ChatUser | undefined;
  usersOfAccount(folded: string): Iterable<ChatUser>;
  allUsers(): Iterable<ChatUser>;
}

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
        for (const [member, membership] of channel.members) {
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
        if (user && !reached.has(user)) this.#toUser(user, publication);
        return;
      }
      case "users": {
        const reached = new Set<string>();
        for (const id of scope.users) {
          if (reached.has(id)) continue;
          reached.add(id);
          const user = this.state.userById(id);
          if (user) this.#toUser(user, publication);
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

  #toUser(user: ChatUser, { event, fromSession, skipOrigin }: Publication): void {
    for (const session of user.sessions) {
      if (skipOrigin && session.id === fromSession) continue;
      session.deliver(event, fromSession);
    }
  }
}
