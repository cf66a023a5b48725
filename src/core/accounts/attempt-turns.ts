/**
 * Login attempts in flight per key (an address, or an account from an address): at most
 * `capacity` at once, the rest wait in the order they came. The brute-force counters are
 * written only once a password has been checked, so attempts checked side by side would
 * all read the counters from before any of them failed: taking turns makes each one read
 * what the ones before it left.
 *
 * A turn ends when its holder says so (by key: the guard's callers know the key, not the
 * turn), or after `holdMs`, so an exchange abandoned half way (a SASL client that never
 * sends its proof) cannot hold a key for good.
 */
export class AttemptTurns {
  readonly #keys = new Map<string, KeyTurns>();

  constructor(private readonly holdMs: number) {}

  /** Resolves once the attempt holds a turn of `key`. */
  acquire(key: string, capacity: number): Promise<void> {
    let turns = this.#keys.get(key);
    if (!turns) this.#keys.set(key, (turns = { holders: new Set(), waiting: [], watchers: [] }));
    if (turns.holders.size < capacity && turns.waiting.length === 0) {
      this.#hold(key, turns);
      return Promise.resolve();
    }
    return new Promise((resolve) => turns.waiting.push(resolve));
  }

  /** Ends the oldest turn held on `key` and lets the next waiter in; nothing when none is held. */
  release(key: string): void {
    const turns = this.#keys.get(key);
    const oldest = turns?.holders.values().next().value;
    if (!turns || oldest === undefined) return;
    this.#end(key, turns, oldest);
  }

  /** How many turns of `key` are held now. */
  holding(key: string): number {
    return this.#keys.get(key)?.holders.size ?? 0;
  }

  /** Resolves once fewer than `count` turns of `key` are held (at once if that is so already). */
  fewerThan(key: string, count: number): Promise<void> {
    const turns = this.#keys.get(key);
    if (!turns || turns.holders.size < count) return Promise.resolve();
    return new Promise((resolve) => turns.watchers.push({ count, resolve }));
  }

  /** Keys with a turn held or awaited (for tests and metrics). */
  get size(): number {
    return this.#keys.size;
  }

  #hold(key: string, turns: KeyTurns): void {
    const holder: Holder = { timer: setTimeout(() => this.#end(key, turns, holder), this.holdMs) };
    holder.timer.unref();
    turns.holders.add(holder);
  }

  #end(key: string, turns: KeyTurns, holder: Holder): void {
    if (!turns.holders.delete(holder)) return;
    clearTimeout(holder.timer);
    const next = turns.waiting.shift();
    if (next) {
      this.#hold(key, turns);
      next();
    }
    if (turns.watchers.length > 0) {
      const size = turns.holders.size;
      const [due, later] = partition(turns.watchers, (watcher) => size < watcher.count);
      turns.watchers = later;
      for (const watcher of due) watcher.resolve();
    }
    if (turns.holders.size === 0 && turns.waiting.length === 0 && turns.watchers.length === 0) this.#keys.delete(key);
  }
}

interface Holder {
  readonly timer: NodeJS.Timeout;
}

interface KeyTurns {
  readonly holders: Set<Holder>;
  readonly waiting: Array<() => void>;
  /** Those waiting for the number of holders to fall below their count (see fewerThan). */
  watchers: Array<{ readonly count: number; readonly resolve: () => void }>;
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
