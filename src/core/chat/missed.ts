import type { HistoryStore, StoredMessage } from "./history.js";
import type { ChatUser } from "./user.js";
import { foldCase } from "./names.js";

/** One conversation's missed messages, oldest first. */
export interface MissedConversation {
  /** The channel name, or null for direct messages (each message names its own target). */
  readonly channel: string | null;
  readonly messages: readonly StoredMessage[];
}

/**
 * What an account missed while no connection was there to see it: direct messages
 * to it while it was offline, and, for an always-on user, its channels' messages too.
 * Protocol-agnostic; each adapter decides how (and whether) to show them.
 */
export class MissedMessages {
  constructor(private readonly history: HistoryStore) {}

  /** Direct messages to `account` after `since`, oldest first, at most `limit`. */
  direct(account: string, since: number, limit: number): Promise<StoredMessage[]> {
    return this.history.unreadDirect(foldCase(account), since, limit);
  }

  /**
   * Channel messages in the user's channels and direct messages to its account after
   * `since`, at most `limit` in all (the newest of each channel are kept when cut).
   */
  async forUser(user: ChatUser, since: number, limit: number): Promise<MissedConversation[]> {
    if (limit <= 0) return [];
    const found: MissedConversation[] = [];
    let left = limit;
    for (const channel of user.channels.values()) {
      if (left <= 0) break;
      // Newest first from the store's "before now" walk would cost a reverse; "after since" is what was missed, in order.
      const messages = await this.history.query({ target: channel.folded, direction: "after", from: { kind: "time", time: since }, to: null, limit: left });
      if (messages.length === 0) continue;
      found.push({ channel: channel.name, messages });
      left -= messages.length;
    }
    if (left > 0 && user.account !== null) {
      const direct = await this.direct(user.account, since, left);
      if (direct.length > 0) found.push({ channel: null, messages: direct });
    }
    return found;
  }
}
