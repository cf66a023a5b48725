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
  save(registration: ChannelRegistration): Promise<void>;
  delete(folded: string): Promise<void>;
}

/**
 * Registered channels, all held in memory (they are few) so the chat core can look
 * them up synchronously when a channel is created; changes are written behind.
 */
export class ChannelRegistry {
  readonly #registrations = new Map<string, ChannelRegistration>();
  /**
   * The writes, one after another in the order of the changes. Two in flight at once
   * (a pool of PostgreSQL connections) could land in either order: `+b x` then `-b x`
   * stored with the ban, or a change written just before a DROP bringing the
   * registration back after it.
   */
  #writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ChannelRegistrationStore,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    for (const registration of await this.store.loadAll()) this.#registrations.set(foldCase(registration.name), registration);
  }

  get(name: string): ChannelRegistration | undefined {
    return this.#registrations.get(foldCase(name));
  }

  /** Every registered channel (search asks which of them a reader may read). */
  all(): IterableIterator<ChannelRegistration> {
    return this.#registrations.values();
  }

  /** Registers a live channel to `founder` with its current topic and modes. */
  async register(channel: Channel, founder: string): Promise<ChannelRegistration> {
    const registration = this.#snapshot(channel, foldCase(founder), Date.now());
    await this.#write(() => this.store.save(registration));
    this.#registrations.set(channel.folded, registration);
    return registration;
  }

  async drop(name: string): Promise<void> {
    const folded = foldCase(name);
    const registration = this.#registrations.get(folded);
    // Forgotten first: a change made while the delete is being written is not saved after it.
    this.#registrations.delete(folded);
    await this.#write(() => this.store.delete(folded)).catch((error: unknown) => {
      if (registration) this.#registrations.set(folded, registration);
      throw error;
    });
  }

  /** The topic, modes or lists of a channel changed: if it is registered, keep the new state. */
  changed(channel: Channel): void {
    const current = this.#registrations.get(channel.folded);
    if (!current) return;
    const next = this.#snapshot(channel, current.founder, current.registeredAt);
    this.#registrations.set(channel.folded, next);
    this.#write(() => this.store.save(next)).catch((error: unknown) => this.log.error({ err: error, channel: channel.name }, "could not save channel registration"));
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

  /** Runs `write` after every write asked for before it; its failure is the caller's, and does not stop later writes. */
  /** Resolves once every save asked for so far has been written (or has failed and been logged): before the database closes. */
  drain(): Promise<void> {
    return this.#writes;
  }

  #write(write: () => Promise<void>): Promise<void> {
    const done = this.#writes.then(write);
    this.#writes = done.catch(() => {});
    return done;
  }

  #snapshot(channel: Channel, founder: string, registeredAt: number): ChannelRegistration {
    const lists = { ban: [...channel.lists.ban], exception: [...channel.lists.exception], "invite-exception": [...channel.lists["invite-exception"]] };
    return { name: channel.name, founder, topic: channel.topic, flags: [...channel.flags], key: channel.key, limit: channel.limit, lists, registeredAt };
  }
}
