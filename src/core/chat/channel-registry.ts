import type { Logger } from "pino";
import type { Channel, FlagMode, ListEntry, ListMode, Topic } from "./channel.js";
import { foldCase } from "./names.js";

/** What is kept of a registered channel across restarts and while it is empty. */
export interface ChannelRegistration {
  readonly name: string;
  /** The founder's account, folded. */
  readonly founder: string;
  readonly topic: Topic | null;
  readonly flags: readonly FlagMode[];
  readonly key: string | null;
  readonly limit: number | null;
  /** The +b, +e and +I lists: a registered channel's bans still keep people out after it empties. */
  readonly lists: Readonly<Record<ListMode, readonly ListEntry[]>>;
  readonly registeredAt: number;
}

export const LIST_MODES: readonly ListMode[] = ["ban", "exception", "invite-exception"];

export interface ChannelRegistrationStore {
  loadAll(): Promise<ChannelRegistration[]>;
  /** The registration of the channel `folded` as the database has it now, or null. */
  load(folded: string): Promise<ChannelRegistration | null>;
  /** Stores a new registration unless the channel has one already (whoever made it, on whichever node): whether it did. */
  insert(registration: ChannelRegistration): Promise<boolean>;
  /** Writes a registration's topic, modes and lists: never its founder, and never a registration that is no longer there. */
  update(registration: ChannelRegistration): Promise<void>;
  /** Deletes the registration of `folded` only if `founder` (folded) founded it: whether it did. */
  delete(folded: string, founder: string): Promise<boolean>;
}

/** What REGISTER came to: the channel's registration now, the new one or the one that was there before. */
export type RegisterOutcome = { readonly registered: true; readonly registration: ChannelRegistration } | { readonly registered: false; readonly registration: ChannelRegistration | null };

/**
 * Registered channels, all held in memory (they are few) so the chat core can look
 * them up synchronously when a channel is created; changes are written behind.
 *
 * The database decides: REGISTER is an insert that fails when the channel is registered
 * already and DROP deletes only its founder's row, so two nodes of a cluster cannot both
 * register one channel, nor one take over another's. What other nodes registered or dropped
 * reaches this one's memory by `lookup` (ChanServ asks it before answering) and by `refresh`
 * (every `chat.registrationRefreshSeconds` in a cluster): JOIN reads the memory synchronously,
 * so a channel registered elsewhere is known to this node's JOIN within that interval.
 */
export class ChannelRegistry {
  readonly #registrations = new Map<string, ChannelRegistration>();
  /**
   * The writes, one after another in the order of the changes. Two in flight at once
   * (a pool of PostgreSQL connections) could land in either order: `+b x` then `-b x`
   * stored with the ban, or a change written just before a DROP bringing the
   * registration back after it. Reads of the database queue here too, so that they see
   * every change made here before them.
   */
  #writes: Promise<void> = Promise.resolve();
  /**
   * Counts this node's own changes; `#changedAt` holds, per channel, the count at its last
   * one. A read that began before a change here is older than it: it does not overwrite it.
   */
  #changes = 0;
  readonly #changedAt = new Map<string, number>();
  #refreshTimer: NodeJS.Timeout | null = null;
  #refreshing = false;

  constructor(
    private readonly store: ChannelRegistrationStore,
    private readonly log: Logger,
  ) {}

  load(): Promise<void> {
    return this.refresh();
  }

  /** Takes every registration from the database: new ones, changed ones, and forgets those dropped (on any node). */
  async refresh(): Promise<void> {
    const began = this.#changes;
    const stored = await this.#queue(() => this.store.loadAll());
    const found = new Map(stored.map((registration) => [foldCase(registration.name), registration]));
    for (const folded of [...this.#registrations.keys()]) if (!found.has(folded)) this.#takeStored(folded, null, began);
    for (const [folded, registration] of found) this.#takeStored(folded, registration, began);
    // Changes made here before this read began are in what it read: nothing left to protect them from.
    for (const [folded, at] of this.#changedAt) if (at <= began) this.#changedAt.delete(folded);
  }

  /** Refreshes every `intervalMs` until `stopRefreshing`; a refresh still under way when the next is due is not doubled. */
  startRefreshing(intervalMs: number): void {
    this.#refreshTimer = setInterval(() => {
      if (this.#refreshing) return;
      this.#refreshing = true;
      this.refresh()
        .catch((error: unknown) => this.log.warn({ err: error }, "could not refresh the channel registrations from the database"))
        .finally(() => (this.#refreshing = false));
    }, intervalMs);
    this.#refreshTimer.unref();
  }

  stopRefreshing(): void {
    if (this.#refreshTimer) clearInterval(this.#refreshTimer);
    this.#refreshTimer = null;
  }

  /** The registration of `name` as the database has it now (made or dropped on any node), kept in memory too. */
  async lookup(name: string): Promise<ChannelRegistration | undefined> {
    const folded = foldCase(name);
    const began = this.#changes;
    this.#takeStored(folded, await this.#queue(() => this.store.load(folded)), began);
    if ((this.#changedAt.get(folded) ?? 0) <= began) this.#changedAt.delete(folded);
    return this.#registrations.get(folded);
  }

  get(name: string): ChannelRegistration | undefined {
    return this.#registrations.get(foldCase(name));
  }

  /** Every registered channel (search asks which of them a reader may read). */
  all(): IterableIterator<ChannelRegistration> {
    return this.#registrations.values();
  }

  /**
   * Registers a live channel to `founder` with its current topic and modes, unless the
   * database has a registration of it already (made here or on another node): then that one.
   */
  async register(channel: Channel, founder: string): Promise<RegisterOutcome> {
    const registration = this.#snapshot(channel, foldCase(founder), Date.now());
    if (await this.#queue(() => this.store.insert(registration))) {
      this.#keep(channel.folded, registration);
      return { registered: true, registration };
    }
    return { registered: false, registration: (await this.lookup(channel.name)) ?? null };
  }

  /** Drops the registration of `name` if `founder` founded it; false (and the database's registration kept in memory) if not. */
  async drop(name: string, founder: string): Promise<boolean> {
    const folded = foldCase(name);
    const registration = this.#registrations.get(folded);
    // Forgotten first: a change made while the delete is being written is not saved after it.
    this.#keep(folded, undefined);
    let dropped: boolean;
    try {
      dropped = await this.#queue(() => this.store.delete(folded, foldCase(founder)));
    } catch (error) {
      if (registration) this.#registrations.set(folded, registration);
      throw error;
    }
    if (!dropped) await this.lookup(name);
    return dropped;
  }

  /** The topic, modes or lists of a channel changed: if it is registered, keep the new state. */
  changed(channel: Channel): void {
    const current = this.#registrations.get(channel.folded);
    if (!current) return;
    const next = this.#snapshot(channel, current.founder, current.registeredAt);
    this.#keep(channel.folded, next);
    this.#queue(() => this.store.update(next)).catch((error: unknown) => this.log.error({ err: error, channel: channel.name }, "could not save channel registration"));
  }

  /** Gives a newly created channel its registered topic, modes and lists. */
  restore(channel: Channel): void {
    const registration = this.#registrations.get(channel.folded);
    if (!registration) return;
    channel.topic = registration.topic;
    channel.flags.clear();
    for (const flag of registration.flags) channel.flags.add(flag);
    channel.key = registration.key;
    channel.limit = registration.limit;
    for (const mode of LIST_MODES) channel.lists[mode] = [...registration.lists[mode]];
  }

  isFounder(channel: Channel, account: string | null): boolean {
    return account !== null && this.#registrations.get(channel.folded)?.founder === foldCase(account);
  }

  /** Resolves once every save asked for so far has been written (or has failed and been logged): before the database closes. */
  drain(): Promise<void> {
    return this.#writes;
  }

  /** Runs `work` after every write (or read) asked for before it; its failure is the caller's, and does not stop later ones. */
  #queue<T>(work: () => Promise<T>): Promise<T> {
    const done = this.#writes.then(work);
    this.#writes = done.then(
      () => {},
      () => {},
    );
    return done;
  }

  /** A change made here: kept in memory at once, and not overwritten by a read of the database that began before it. */
  #keep(folded: string, registration: ChannelRegistration | undefined): void {
    if (registration) this.#registrations.set(folded, registration);
    else this.#registrations.delete(folded);
    this.#changedAt.set(folded, ++this.#changes);
  }

  /** What a read of the database that began at `began` found of `folded`, unless this node changed it since. */
  #takeStored(folded: string, registration: ChannelRegistration | null, began: number): void {
    if ((this.#changedAt.get(folded) ?? 0) > began) return;
    if (registration) this.#registrations.set(folded, registration);
    else this.#registrations.delete(folded);
  }

  #snapshot(channel: Channel, founder: string, registeredAt: number): ChannelRegistration {
    const lists = { ban: [...channel.lists.ban], exception: [...channel.lists.exception], "invite-exception": [...channel.lists["invite-exception"]] };
    return { name: channel.name, founder, topic: channel.topic, flags: [...channel.flags], key: channel.key, limit: channel.limit, lists, registeredAt };
  }
}
