import type { Logger } from "pino";
import type { Channel, FlagMode, Topic } from "./channel.js";
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
  readonly registeredAt: number;
}

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
    await this.store.save(registration);
    this.#registrations.set(channel.folded, registration);
    return registration;
  }

  async drop(name: string): Promise<void> {
    await this.store.delete(foldCase(name));
    this.#registrations.delete(foldCase(name));
  }

  /** The topic or modes of a channel changed: if it is registered, keep the new state. */
  changed(channel: Channel): void {
    const current = this.#registrations.get(channel.folded);
    if (!current) return;
    const next = this.#snapshot(channel, current.founder, current.registeredAt);
    this.#registrations.set(channel.folded, next);
    this.store.save(next).catch((error: unknown) => this.log.error({ err: error, channel: channel.name }, "could not save channel registration"));
  }

  /** Gives a newly created channel its registered topic and modes. */
  restore(channel: Channel): void {
    const registration = this.#registrations.get(channel.folded);
    if (!registration) return;
    channel.topic = registration.topic;
    channel.flags.clear();
    for (const flag of registration.flags) channel.flags.add(flag);
    channel.key = registration.key;
    channel.limit = registration.limit;
  }

  isFounder(channel: Channel, account: string | null): boolean {
    return account !== null && this.#registrations.get(channel.folded)?.founder === foldCase(account);
  }

  #snapshot(channel: Channel, founder: string, registeredAt: number): ChannelRegistration {
    return { name: channel.name, founder, topic: channel.topic, flags: [...channel.flags], key: channel.key, limit: channel.limit, registeredAt };
  }
}
