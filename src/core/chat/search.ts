import type { ChatCore } from "./chat-core.js";
import type { StoredMessage } from "./history.js";
import { readableChannel, readerMasks, type HistoryReader } from "./history-access.js";
import { foldCase } from "./names.js";
import { searchTerms, type SearchLimits, type SearchTerm } from "./search-terms.js";

/** Where one search may look: the conversations its reader may read now (core's one history rule). */
export interface ReadableConversations {
  /** Folded channel key → the channel's name as people see it. */
  readonly channels: ReadonlyMap<string, string>;
  /** The reader's account, folded: every direct conversation that holds it is the reader's own. */
  readonly account: string;
}

/** A message's place in the newest-first order of results: the page after it starts below it. */
export interface SearchPosition {
  readonly time: number;
  /** The store's row number: breaks ties between messages of the same millisecond. */
  readonly id: number;
}

export interface SearchIndexQuery {
  /** At least one word; every one must be found. */
  readonly terms: readonly SearchTerm[];
  /** Channel history keys that may be searched (folded names). */
  readonly channelKeys: readonly string[];
  /** Direct conversations of this folded account may be searched. */
  readonly account: string;
  /** Only messages older than this position (exclusive), or null for the newest. */
  readonly before: SearchPosition | null;
  readonly limit: number;
  /** How long the database may work on it before giving up with SearchTimeout (where the database can be told). */
  readonly timeoutMs?: number;
}

/** A search the database gave up on after SearchIndexQuery.timeoutMs. */
export class SearchTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the search ran longer than ${timeoutMs} ms`);
  }
}

export interface SearchHit {
  readonly message: StoredMessage;
  readonly position: SearchPosition;
}

/**
 * Full-text search over stored history, newest first (time, then row). Core owns
 * the port; src/store/ implements it per database (SQLite FTS5, PostgreSQL GIN).
 * It must only return messages of `channelKeys` and of the account's own direct
 * conversations, and never one that was deleted.
 */
export interface MessageSearch {
  search(query: SearchIndexQuery): Promise<SearchHit[]>;
}

export type SearchConversation = { readonly kind: "channel"; readonly name: string } | { readonly kind: "direct"; readonly with: string };

export interface SearchResult {
  readonly message: StoredMessage;
  readonly conversation: SearchConversation;
}

export interface SearchPage {
  readonly results: readonly SearchResult[];
  /** Where the next (older) page starts, or null when there is none. */
  readonly next: SearchPosition | null;
}

export type SearchOutcome = { readonly ok: true; readonly page: SearchPage } | { readonly ok: false; readonly reason: "empty-query" | "query-too-long" | "too-many-words" | "timeout" };

/**
 * The conversations `account` may read now, under the rule of history-access.ts:
 * every channel (live on this node, or registered) for which `readableChannel`
 * gives a key, and its own direct conversations. A reader from the HTTP API has
 * no live user, so membership is by account.
 */
export function readableConversations(core: ChatCore, account: string): ReadableConversations {
  const reader: HistoryReader = { account, user: null };
  const masks = readerMasks(core, reader);
  const channels = new Map<string, string>();
  for (const channel of core.channels()) {
    const key = readableChannel(core, reader, channel.name, masks);
    if (key !== null) channels.set(key, channel.name);
  }
  for (const registration of core.registry?.all() ?? []) {
    const folded = foldCase(registration.name);
    if (channels.has(folded) || core.findChannel(registration.name)) continue;
    const key = readableChannel(core, reader, registration.name, masks);
    if (key !== null) channels.set(key, registration.name);
  }
  return { channels, account: foldCase(account) };
}

/**
 * Where a message was said, as its reader names it: a channel by its name; a direct
 * conversation by the other side — its account, or the nick of a guest.
 */
export function conversationOf(message: StoredMessage, readable: ReadableConversations): SearchConversation {
  if (!message.target.startsWith("@")) return { kind: "channel", name: readable.channels.get(message.target) ?? message.targetDisplay };
  // The reader wrote it: the other side is its recipient (an account, or the guest nick it wrote to).
  if (message.senderAccount !== null && foldCase(message.senderAccount) === readable.account) return { kind: "direct", with: message.recipientAccount ?? message.targetDisplay };
  return { kind: "direct", with: message.senderAccount ?? message.senderNick };
}

/**
 * Message search for one account: the words of `query`, in what the account may
 * read now, newest first, `limit` per page. One row more than asked for is read
 * to say whether an older page exists.
 */
export class MessageSearchService {
  readonly #turns = new SearchTurns();

  constructor(
    private readonly core: ChatCore,
    private readonly index: MessageSearch,
    /** The configured limits, read on each search (they change on reload). */
    readonly limits: () => SearchLimits & { readonly timeoutSeconds: number; readonly maxConcurrent: number },
  ) {}

  async search(account: string, query: string, before: SearchPosition | null, limit: number): Promise<SearchOutcome> {
    const parsed = searchTerms(query, this.limits());
    if (!parsed.ok) return parsed;
    // Only punctuation: nothing the index could match, so nothing is found (rather than everything).
    if (parsed.terms.length === 0) return { ok: true, page: { results: [], next: null } };
    const readable = readableConversations(this.core, account);
    const size = Math.max(1, Math.floor(limit));
    const timeoutMs = Math.round(this.limits().timeoutSeconds * 1000);
    let hits: SearchHit[];
    const started = performance.now();
    if (!(await this.#turns.take(this.limits().maxConcurrent, timeoutMs))) return { ok: false, reason: "timeout" };
    try {
      // The time spent waiting for a turn counts against the search's own bound.
      const left = Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
      hits = await this.index.search({ terms: parsed.terms, channelKeys: [...readable.channels.keys()], account: readable.account, before, limit: size + 1, timeoutMs: left });
    } catch (error) {
      if (error instanceof SearchTimeout) return { ok: false, reason: "timeout" };
      throw error;
    } finally {
      this.#turns.end();
    }
    const page = hits.slice(0, size);
    const results = page.map((hit) => ({ message: hit.message, conversation: conversationOf(hit.message, readable) }));
    return { ok: true, page: { results, next: hits.length > size ? page[page.length - 1]!.position : null } };
  }
}

/** Searches at the database take turns: at most `limit` at once, the others wait in order. */
class SearchTurns {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  /** True once this search may run (end() must follow), false when no turn came within `waitMs`. */
  take(limit: number, waitMs: number): Promise<boolean> {
    if (this.#running < limit && this.#waiting.length === 0) {
      this.#running++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const turn = (): void => {
        clearTimeout(timer);
        this.#running++;
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(turn), 1);
        resolve(false);
      }, waitMs);
      this.#waiting.push(turn);
    });
  }

  end(): void {
    this.#running--;
    this.#waiting.shift()?.();
  }
}
