import type { ChatCore } from "./chat-core.js";
import type { ReadMarkerEvent } from "./events.js";
import { foldCase, isValidChannelName, isValidNick } from "./names.js";

/** Where read markers are kept (the store implements it). Accounts and targets are casefolded. */
export interface ReadMarkerStore {
  /** Every marker of the account: target → time. */
  all(account: string): Promise<Map<string, number>>;
  /**
   * Moves the marker to `readAt` unless it is already there or later, atomically.
   * Returns the marker after the call and whether it moved; null when the account does not exist.
   */
  advance(account: string, target: string, readAt: number): Promise<{ readAt: number; moved: boolean } | null>;
  /** Keeps the account's `max` most recently moved markers, forgetting the rest; returns how many went. */
  keepNewest(account: string, max: number): Promise<number>;
}

export type ReadMarkerRefusal = "invalid-target" | "invalid-time" | "no-such-account";

/** Accounts whose markers are kept in memory; the least recently used beyond this are dropped (and read again at the next login). */
const CACHED_ACCOUNTS = 10_000;

/**
 * Read markers (IRCv3 read-marker): per account and conversation, the time of the last
 * message the person read. A marker only moves forward; when it moves, every session
 * of the account hears a `read-marker` event through the bus.
 *
 * A conversation is named by a stable key: a channel by its folded name; a direct
 * conversation by the other party's folded account when that nick is online and logged
 * in, else by the folded nick (accounts own their nicks here, so the two agree for
 * registered users).
 *
 * Markers of accounts that logged in on this node are cached, so that a JOIN can be
 * answered with the marker at once; `load` refreshes an account's cache at login, and
 * `observe` keeps it current from events (including those of other nodes).
 */
export class ReadMarkers {
  readonly #cache = new Map<string, Map<string, number>>();

  constructor(
    private readonly store: ReadMarkerStore,
    private readonly core: ChatCore,
    private readonly now: () => number = Date.now,
    /** chat.maxReadMarkersPerAccount (read at each use: it follows a reload). */
    private readonly maxPerAccount: () => number = () => Number.POSITIVE_INFINITY,
  ) {}

  /** The stable key of a conversation named `name` (a channel, or a nick), or null when it is not a valid name. */
  keyFor(name: string): string | null {
    const limits = this.core.limits;
    if (name.startsWith("#")) return isValidChannelName(name, limits.channelLength) ? foldCase(name) : null;
    if (!isValidNick(name, limits.nickLength)) return null;
    const account = this.core.findUser(name)?.account;
    return foldCase(account ?? name);
  }

  /** Reads the account's markers into the cache (at login). */
  async load(account: string): Promise<void> {
    const folded = foldCase(account);
    const markers = await this.store.all(folded);
    const cached = this.#cache.get(folded);
    // Anything that moved while the query ran is kept: markers only go forward.
    if (cached) for (const [target, readAt] of cached) if ((markers.get(target) ?? -1) < readAt) markers.set(target, readAt);
    this.#remember(folded, markers);
  }

  /** The marker from the cache: a time, null when there is none, undefined when the account is not cached. */
  cached(account: string, target: string): number | null | undefined {
    const markers = this.#cache.get(foldCase(account));
    if (!markers) return undefined;
    return markers.get(target) ?? null;
  }

  /** The marker of `target` (a key from `keyFor`), or null. */
  async get(account: string, target: string): Promise<number | null> {
    const cached = this.cached(account, target);
    if (cached !== undefined) return cached;
    await this.load(account);
    return this.cached(account, target) ?? null;
  }

  /**
   * Moves the marker of the conversation `name` to `readAt` (a time in the future counts
   * as now). Returns the marker as it now is; when it moved, the account's sessions are
   * told through the bus (`fromSession` included: its reply is that event).
   */
  async set(
    account: string,
    name: string,
    readAt: number,
    fromSession: string | null = null,
  ): Promise<{ ok: true; target: string; readAt: number; moved: boolean } | { ok: false; reason: ReadMarkerRefusal }> {
    const target = this.keyFor(name);
    if (target === null) return { ok: false, reason: "invalid-target" };
    if (!Number.isSafeInteger(readAt) || readAt < 0) return { ok: false, reason: "invalid-time" };
    const folded = foldCase(account);
    const cachedBefore = this.#cache.get(folded);
    const isNew = cachedBefore === undefined || !cachedBefore.has(target);
    const result = await this.store.advance(folded, target, Math.min(readAt, this.now()));
    if (!result) return { ok: false, reason: "no-such-account" };
    this.#update(folded, target, result.readAt);
    // A marker for a conversation not yet marked may pass the limit: the oldest go.
    if (isNew && result.moved && (cachedBefore === undefined || cachedBefore.size >= this.maxPerAccount())) {
      // What is cached follows what is kept, so the next marker knows the count without a query.
      // (Dropped first: load keeps cached markers newer than the store's, the forgotten ones too.)
      if ((await this.store.keepNewest(folded, this.maxPerAccount())) > 0) {
        this.#cache.delete(folded);
        await this.load(folded);
      }
    }
    if (result.moved) this.core.publishReadMarker(folded, target, name, result.readAt, fromSession);
    return { ok: true, target, readAt: result.readAt, moved: result.moved };
  }

  /** A read-marker event seen by a session of this node (it may come from another node): the cache follows it. */
  observe(event: ReadMarkerEvent): void {
    this.#update(event.account, event.target, event.time);
  }

  #update(account: string, target: string, readAt: number): void {
    const markers = this.#cache.get(account);
    if (markers && (markers.get(target) ?? -1) < readAt) markers.set(target, readAt);
  }

  #remember(account: string, markers: Map<string, number>): void {
    this.#cache.delete(account);
    this.#cache.set(account, markers);
    if (this.#cache.size > CACHED_ACCOUNTS) this.#cache.delete(this.#cache.keys().next().value!);
  }
}
