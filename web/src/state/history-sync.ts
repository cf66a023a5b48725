import { HistoryError, type HistoryRef, type HistoryTarget } from "../irc/history.js";
import { latestMsgid, oldestMsgid, withConversation } from "./conversations.js";
import { splitHistory, withImpostorMessages } from "./impostors.js";
import { mergeMessages, messagesFromHistory } from "./messages.js";
import { pushNotice } from "./reducers.js";
import type { ChatParts } from "./parts.js";
import type { ChatMessage, Conversation } from "./types.js";

/** Messages the first look at a conversation loads: enough to fill a screen and count what is unread. */
export const FIRST_PAGE = 50;

/**
 * Keeping each conversation's window of history in step with the server through
 * draft/chathistory: the first page, older pages as the user scrolls up, the pages
 * after a jump back to a search result, and after a reconnect the gap — everything
 * after the last msgid we hold. Messages are merged by msgid, so asking twice never
 * shows a message twice.
 */
/**
 * Where filling a gap starts: just before the time of the newest message held. Not its
 * msgid: that message may have been deleted (REDACT) or expired from the server's history
 * meanwhile, and an unknown msgid would find nothing after it, losing the whole gap. The
 * millisecond before it catches messages of the same millisecond; those held are merged away.
 */
function gapStart(conversation: Conversation): HistoryRef | null {
  const newest = conversation.messages.findLast((message) => message.msgid !== null);
  if (!newest) return null;
  return { time: new Date(Date.parse(newest.time) - 1).toISOString() };
}

/** A page of history as shown: its messages, and how many there were and the last msgid before any were set apart. */
interface Page {
  readonly messages: ChatMessage[];
  readonly size: number;
  readonly lastMsgid: string | null;
}

export class HistorySync {
  /**
   * The loads running, per direction and conversation: asking again while one is on its
   * way gets the same promise, never a second request (a component that asks on every
   * render would otherwise send one per render).
   */
  readonly #running = new Map<string, Promise<void>>();

  constructor(
    private readonly parts: ChatParts,
    /** The name the device saved a direct conversation shown as `nick` under, when another (its account). */
    private readonly savedNameOf: (nick: string) => string | null = () => null,
  ) {}

  #conversation(key: string): Conversation | undefined {
    return this.parts.store.state.conversations.get(key);
  }

  #update(key: string, change: (conversation: Conversation) => Conversation): void {
    this.parts.store.update((state) => withConversation(state, key, change));
  }

  #report(error: unknown, what: string): void {
    // A lost connection is shown by the connection status; the reconnect fills the gap.
    if (error instanceof HistoryError && (error.code === "DISCONNECTED" || error.code === "UNAVAILABLE")) return;
    const detail = error instanceof Error ? error.message : String(error);
    this.parts.store.update((state) => pushNotice(state, `Could not load ${what}: ${detail}`));
  }

  /**
   * A page of `key`'s history. In a direct conversation, the other side's messages that are not
   * from its account (someone not logged in who held the nick) go to a conversation of their own (impostors.ts).
   */
  async #page(key: string, request: () => Promise<import("../irc/batches.js").Batch>): Promise<Page> {
    const page = messagesFromHistory(await request(), this.parts.context());
    const whole = { size: page.length, lastMsgid: page.findLast((message) => message.msgid !== null)?.msgid ?? null };
    const conversation = this.#conversation(key);
    if (!conversation) return { messages: page, ...whole };
    const fold = (name: string): string => this.parts.client.fold(name);
    const { own, impostors, account } = splitHistory(conversation, page, this.savedNameOf(conversation.name), fold);
    if (impostors.length > 0 && account !== null) this.parts.store.update((state) => withImpostorMessages(state, impostors, account, fold));
    return { messages: own, ...whole };
  }

  #once(direction: "latest" | "older" | "after", key: string, load: () => Promise<void>): Promise<void> {
    const id = `${direction}\u0000${key}`;
    const running = this.#running.get(id);
    if (running) return running;
    const promise = load().finally(() => this.#running.delete(id));
    this.#running.set(id, promise);
    return promise;
  }

  /** The newest page: the conversation's first look, or a return to the present. */
  loadLatest(key: string): Promise<void> {
    return this.#once("latest", key, () => this.#loadLatest(key));
  }

  async #loadLatest(key: string): Promise<void> {
    const conversation = this.#conversation(key);
    // A not-logged-in conversation has no history of its own (the nick's is the account's).
    if (!conversation || conversation.notLoggedIn) return;
    if (!this.parts.history.available) {
      this.#update(key, (c) => ({ ...c, loaded: true, hasOlder: false }));
      return;
    }
    this.#update(key, (c) => ({ ...c, loaded: true }));
    try {
      const page = await this.#page(key, () => this.parts.history.latest(conversation.name, FIRST_PAGE));
      this.#update(key, (c) => ({
        ...c,
        // Back from a jump into the past: the old window goes; otherwise live messages stay merged in.
        messages: c.atLatest ? mergeMessages(c.messages, page.messages) : page.messages,
        atLatest: true,
        hasOlder: page.size >= FIRST_PAGE,
      }));
    } catch (error) {
      this.#update(key, (c) => ({ ...c, loaded: false }));
      this.#report(error, `the history of ${conversation.name}`);
    }
  }

  /** The page before the oldest message held (scrolling up). */
  loadOlder(key: string): Promise<void> {
    return this.#once("older", key, () => this.#loadOlder(key));
  }

  async #loadOlder(key: string): Promise<void> {
    const conversation = this.#conversation(key);
    if (!conversation || conversation.loadingOlder || !conversation.hasOlder || !this.parts.history.available) return;
    const oldest = oldestMsgid(conversation);
    // Nothing from the server held yet (only our own messages on their way): the first page
    // is what comes before them; when it is already asked for (or came back empty), wait.
    if (oldest === null) return conversation.loaded ? undefined : this.loadLatest(key);
    this.#update(key, (c) => ({ ...c, loadingOlder: true }));
    const limit = this.parts.history.pageSize;
    try {
      const page = await this.#page(key, () => this.parts.history.before(conversation.name, { msgid: oldest }, limit));
      this.#update(key, (c) => ({ ...c, messages: mergeMessages(c.messages, page.messages, true), hasOlder: page.size >= limit, loadingOlder: false }));
    } catch (error) {
      this.#update(key, (c) => ({ ...c, loadingOlder: false }));
      this.#report(error, `older messages of ${conversation.name}`);
    }
  }

  /** The page after the newest message held, for a window away from the present (scrolling down). */
  async loadNewer(key: string): Promise<void> {
    const conversation = this.#conversation(key);
    if (!conversation || conversation.atLatest) return;
    await this.#fillAfter(key);
  }

  /** After a reconnect: everything after the last msgid we hold (several pages if need be). */
  async gapFill(key: string): Promise<void> {
    const conversation = this.#conversation(key);
    if (!conversation || conversation.notLoggedIn || !this.parts.history.available) return;
    if (!conversation.loaded || latestMsgid(conversation) === null) return this.loadLatest(key);
    // A window in the past is not extended: it catches up when scrolled to its end.
    if (!conversation.atLatest) return;
    await this.#fillAfter(key);
  }

  #fillAfter(key: string): Promise<void> {
    return this.#once("after", key, () => this.#fillGap(key));
  }

  async #fillGap(key: string): Promise<void> {
    const limit = this.parts.history.pageSize;
    try {
      const start = this.#conversation(key);
      let after = start && gapStart(start);
      while (start && after) {
        const ref = after;
        const name = this.#conversation(key)?.name ?? start.name;
        const page = await this.#page(key, () => this.parts.history.after(name, ref, limit));
        const complete = page.size < limit;
        this.#update(key, (c) => ({ ...c, messages: mergeMessages(c.messages, page.messages), atLatest: c.atLatest || complete }));
        if (complete) return;
        // The next page follows this one, not the newest message held: live messages that
        // arrived meanwhile are newer than the rest of the gap.
        const last = page.lastMsgid;
        after = last ? { msgid: last } : null;
      }
    } catch (error) {
      this.#report(error, "new messages");
    }
  }

  /** Shows the message `msgid` (a search result): from what is loaded, or the page around it. */
  async jumpTo(key: string, msgid: string): Promise<void> {
    const conversation = this.#conversation(key);
    if (!conversation) return;
    if (conversation.messages.some((message) => message.msgid === msgid)) {
      this.#update(key, (c) => ({ ...c, focus: msgid }));
      return;
    }
    try {
      const page = await this.#page(key, () => this.parts.history.around(conversation.name, { msgid }, FIRST_PAGE));
      this.#update(key, (c) => ({ ...c, messages: page.messages, loaded: true, atLatest: false, hasOlder: true, focus: msgid }));
    } catch (error) {
      this.#report(error, "that message");
    }
  }

  /** Conversations with messages between `from` and now (direct ones included), newest first. */
  async targets(from: string): Promise<HistoryTarget[]> {
    if (!this.parts.history.available) return [];
    try {
      const to = new Date(Date.now() + 86_400_000).toISOString();
      return await this.parts.history.targets(from, to, 100);
    } catch (error) {
      this.#report(error, "the list of conversations");
      return [];
    }
  }
}
