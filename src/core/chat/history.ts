import type { ClientTags, MessageEvent } from "./events.js";

/** One stored message, as history hands it back. */
export interface StoredMessage {
  readonly msgid: string;
  readonly kind: "privmsg" | "notice";
  /** The conversation key (folded channel, or "@a b" for two accounts). */
  readonly target: string;
  /** The target as written to the recipient (channel name or nick). */
  readonly targetDisplay: string;
  readonly senderNick: string;
  /** `user@host` of the sender at the time. */
  readonly senderMask: string;
  /**
   * The sender's account as registered (`Dora`), as live messages carry it; null for a guest.
   * Compared folded: conversations are kept and looked up under folded names.
   */
  readonly senderAccount: string | null;
  /** A direct message's recipient account, folded (its conversation's key holds it); null for a guest and in a channel. */
  readonly recipientAccount: string | null;
  readonly time: number;
  readonly text: string;
  readonly tags: ClientTags | null;
}

/** A point in a conversation, given by time or by message id. */
export interface PruneOptions {
  /** Rows per statement instead of the adaptive size (tests). */
  readonly batchRows?: number;
  /** Ends the pass before its next statement. */
  readonly signal?: AbortSignal;
}

export type HistoryRef = { readonly kind: "time"; readonly time: number } | { readonly kind: "msgid"; readonly msgid: string };

export interface HistoryQuery {
  readonly target: string;
  readonly direction: "before" | "after";
  /** Exclusive bound (unless `fromInclusive`); null = from the newest (before) or the oldest (after). */
  readonly from: HistoryRef | null;
  /** The `from` reference itself is included (a msgid's message; a timestamp's millisecond). AROUND uses it. */
  readonly fromInclusive?: boolean;
  /** Exclusive far bound (BETWEEN), or null. */
  readonly to: HistoryRef | null;
  readonly limit: number;
}

export interface ConversationSummary {
  readonly target: string;
  readonly targetDisplay: string;
  readonly latest: number;
}

/** What the chat core needs from storage for history. The store implements it. */
/**
 * Asked by the store right before it commits a batch: false when the batch's senders were
 * already told it failed (it took too long), and then the store must not commit it. After
 * a true answer the batch is the store's to commit; its senders wait for the outcome.
 */
export type CommitGate = () => boolean;

export interface HistoryStore {
  /** Writes the messages in one transaction; with `mayCommit`, only if it answers true right before the commit (else rejects). */
  append(messages: readonly StoredMessage[], mayCommit?: CommitGate): Promise<void>;
  /** Messages in ascending time order. */
  query(query: HistoryQuery): Promise<StoredMessage[]>;
  /** Conversations of `keys` with a message between the two times, newest first. */
  conversations(channelKeys: readonly string[], account: string | null, from: number, to: number, limit: number): Promise<ConversationSummary[]>;
  /** Direct messages to `account` after `since`, oldest first. */
  unreadDirect(account: string, since: number, limit: number): Promise<StoredMessage[]>;
  /** The message `msgid` of the conversation `target`, or undefined (another conversation's message is not found). */
  findMessage(target: string, msgid: string): Promise<StoredMessage | undefined>;
  /** Deletes the message `msgid` of the conversation `target` (IRCv3 message-redaction); returns whether it was there. */
  deleteMessage(target: string, msgid: string): Promise<boolean>;
  /** Deletes what retention says to delete; returns how many rows went. */
  /** Deletes what retention no longer keeps; `signal` stops it between statements (a server stopping). */
  prune(olderThan: number | null, keepPerTarget: number | null, options?: PruneOptions): Promise<number>;
}

/** Conversation key of a direct chat: both parties, ordered, so each side finds the same key. */
export function directKey(a: string, b: string): string {
  return a < b ? `@${a} ${b}` : `@${b} ${a}`;
}

export function toStored(event: MessageEvent, target: string, senderAccount: string | null, recipientAccount: string | null): StoredMessage {
  return {
    msgid: event.msgid,
    kind: event.kind === "notice" ? "notice" : "privmsg",
    target,
    targetDisplay: event.target,
    senderNick: event.from.nick,
    senderMask: `${event.from.username}@${event.from.hostname}`,
    senderAccount,
    recipientAccount,
    time: event.time,
    text: event.text,
    tags: event.tags,
  };
}
