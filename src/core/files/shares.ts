import { randomBytes } from "node:crypto";
import type { ChatCore } from "../chat/chat-core.js";
import type { StoredMessage } from "../chat/history.js";
import { historyAccess, type NameDirectory } from "../chat/history-access.js";
import { directKey } from "../chat/history.js";
import { partyKey, type MessageObserver, type SentMessage } from "../chat/messaging.js";
import { foldCase } from "../chat/names.js";
import { detached, ignoreFailure } from "../../detached.js";

/** One share as stored: a link to one file of its owner's space. */
export interface ShareRecord {
  readonly id: string;
  readonly ownerId: number;
  /** The owner's account name, folded. */
  readonly owner: string;
  /** The file's path in the owner's space; read again at every access. */
  readonly path: string;
  readonly createdAt: number;
}

/** What shares need from storage. The store implements it. */
export interface ShareStore {
  create(share: { readonly id: string; readonly ownerId: number; readonly path: string; readonly createdAt: number }): Promise<void>;
  find(id: string): Promise<ShareRecord | undefined>;
  /** The conversation keys the share was posted to. */
  audience(id: string): Promise<string[]>;
  /**
   * Adds `conversation` to the audience of share `id` when the account `owner` (folded)
   * owns it. True when it was added; false when it was there already, the share is
   * someone else's, or there is none. One statement, so a share of someone else can
   * never be granted, whatever runs in between.
   */
  grant(id: string, owner: string, conversation: string, now: number): Promise<boolean>;
  /** Takes `conversation` out of the audience of share `id` when the account `owner` (folded) owns it. */
  revoke(id: string, owner: string, conversation: string): Promise<void>;
}

/** 16 random bytes: 128 bits, 22 base64url characters. */
const ID_BYTES = 16;
export const SHARE_ID = /^[A-Za-z0-9_-]{22}$/;
/** A share link inside a message: `/f/<id>`, however the URL before it is written. */
const LINK = /\/f\/([A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])/g;
/** Links looked at in one message: a message stuffed with links costs a bounded number of writes. */
const MAX_LINKS_PER_MESSAGE = 8;

/** The distinct share ids linked in `text` (at most MAX_LINKS_PER_MESSAGE). */
export function shareIdsIn(text: string): string[] {
  const ids = new Set<string>();
  for (const match of text.matchAll(LINK)) {
    ids.add(match[1]!);
    if (ids.size >= MAX_LINKS_PER_MESSAGE) break;
  }
  return [...ids];
}

/** The history key of the conversation a sent message went to (history.ts's keys). */
export function conversationKey(sent: SentMessage): string | null {
  const conversation = sent.conversation;
  if (conversation.kind === "channel") return conversation.folded;
  if (sent.senderAccount === null) return null;
  return directKey(partyKey(sent.senderAccount, ""), partyKey(conversation.recipientAccount, conversation.recipientNick));
}

export type ShareErrorHandler = (error: unknown, share: string) => void;

/**
 * File shares. A share opens for its owner; once the owner posts a message holding
 * its link (`/f/<id>`) to a conversation, from any door, that conversation joins the
 * share's audience, and whoever may read the conversation (history's one read rule)
 * may open the share. Anyone else is told the share does not exist.
 */
export class Shares {
  readonly #pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: ShareStore,
    private readonly core: ChatCore,
    private readonly accounts: NameDirectory,
    private readonly onError: ShareErrorHandler,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new share of `path` (a file of the owner's space, checked by the caller). */
  async create(owner: { readonly id: number; readonly name: string }, path: string): Promise<ShareRecord> {
    const record: ShareRecord = { id: randomBytes(ID_BYTES).toString("base64url"), ownerId: owner.id, owner: foldCase(owner.name), path, createdAt: this.now() };
    await this.store.create(record);
    return record;
  }

  /**
   * Sees every message that went out (Messaging.observe). Only a message from an
   * account that holds a link pays more than a substring test; the grant is written
   * in the background, and only for shares the sender owns.
   */
  readonly observer: MessageObserver = (sent) => {
    const text = sent.event.text;
    if (!text.includes("/f/") || sent.senderAccount === null) return;
    const conversation = conversationKey(sent);
    if (conversation === null) return;
    for (const id of shareIdsIn(text)) this.#track(this.store.grant(id, sent.senderAccount, conversation, this.now()).catch((error: unknown) => this.onError(error, id)));
  };

  /**
   * Sees every message a redaction removed (ChatCore.removedMessages): a link its
   * owner posted and then took back no longer opens for that conversation (posting it
   * again grants it again). Only the owner's own messages granted anything, so only
   * their removal takes anything back.
   */
  readonly redactionObserver = (removed: StoredMessage): void => {
    if (!removed.text.includes("/f/") || removed.senderAccount === null) return;
    const owner = foldCase(removed.senderAccount);
    for (const id of shareIdsIn(removed.text)) this.#track(this.store.revoke(id, owner, removed.target).catch((error: unknown) => this.onError(error, id)));
  };

  #track(work: Promise<unknown>): void {
    this.#pending.add(work);
    // Every tracked job reports its own failure, so this never rejects.
    detached(work.finally(() => this.#pending.delete(work)), ignoreFailure);
  }

  /** Resolves when every grant written so far is stored (before the store closes). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /**
   * The share `id` if the account `reader` may open it: its owner, or a reader of a
   * conversation it was posted to. Null otherwise — the same answer as for an id that
   * does not exist.
   */
  async openFor(id: string, reader: string): Promise<ShareRecord | null> {
    if (!SHARE_ID.test(id)) return null;
    const share = await this.store.find(id);
    if (!share) return null;
    const account = foldCase(reader);
    if (share.owner === account) return share;
    for (const conversation of await this.store.audience(id)) {
      if (await this.#mayRead(account, conversation)) return share;
    }
    return null;
  }

  /** History's read rule, asked by key, for an HTTP reader (an account, no live user). */
  async #mayRead(account: string, conversation: string): Promise<boolean> {
    if (conversation.startsWith("@")) {
      // A direct conversation is read only by its two parties (history-access.ts): the key holds both.
      return conversation.slice(1).split(" ").includes(partyKey(account, ""));
    }
    const access = await historyAccess(this.core, this.accounts, { account, user: null }, conversation);
    return access.ok;
  }
}
