import type { ChatCore } from "../chat/chat-core.js";

/**
 * Which live session registered which endpoint, on this node: while that session is
 * connected its device is online and notifies itself, so it gets no push.
 *
 * Kept in memory per node, not in the store: sessions are per node. In a cluster, a
 * message sent on another node does not know the device is connected here and pushes
 * to it anyway (a duplicate notification, never a lost one).
 *
 * Entries are keyed by subscription, so there are never more than there are stored
 * subscriptions registered since start; one whose session has ended is dropped the
 * next time it is asked about.
 */
export class LiveRegistrations {
  /** account + "\n" + endpoint → the id of the session that registered it last. */
  readonly #sessions = new Map<string, string>();

  constructor(private readonly core: ChatCore) {}

  registered(account: string, endpoint: string, sessionId: string): void {
    this.#sessions.set(key(account, endpoint), sessionId);
  }

  forget(account: string, endpoint: string): void {
    this.#sessions.delete(key(account, endpoint));
  }

  /** The ids of the account's sessions connected right now: taken when a message is sent. */
  onlineSessions(account: string): Set<string> {
    const ids = new Set<string>();
    for (const user of this.core.usersOfAccount(account)) for (const session of user.sessions()) ids.add(session.id);
    return ids;
  }

  /**
   * Whether the session that registered this subscription was among `online` (the
   * account's sessions when the message was sent: the decision is about that moment,
   * not about when the subscriptions were read).
   */
  wasOnline(account: string, endpoint: string, online: ReadonlySet<string>): boolean {
    const k = key(account, endpoint);
    const sessionId = this.#sessions.get(k);
    if (sessionId === undefined) return false;
    if (online.has(sessionId)) return true;
    if (!this.onlineSessions(account).has(sessionId)) this.#sessions.delete(k);
    return false;
  }
}

function key(account: string, endpoint: string): string {
  return `${account}\n${endpoint}`;
}
