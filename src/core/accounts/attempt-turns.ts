/**
 * Login attempts in flight, per key (an address, or an account from an address). The
 * brute-force counters are written only once a password has been checked, so attempts
 * checked side by side would all read the counters from before any of them failed:
 * turns make each one read what the ones before it left.
 *
 * A turn is ended by the attempt that holds it (its Turn), or after `holdMs`, so an
 * attempt abandoned half way cannot hold a key for good; ending it again does nothing.
 */
export class AttemptTurns {
  readonly #keys = new Map<string, KeyTurns>();

  constructor(private readonly holdMs: number) {}

  /** A turn of `key` once fewer than `capacity` are held, in the order asked. */
  acquire(key: string, capacity: number): Promise<Turn> {
    const turns = this.#turnsOf(key);
    if (turns.holders.size < capacity && turns.waiting.length === 0) return Promise.resolve(this.#hold(key, turns));
    return new Promise((resolve) => turns.waiting.push(resolve));
  }

  /** A turn of `key` at once, however many are held (the caller has judged there is room). */
  take(key: string): Turn {
    return this.#hold(key, this.#turnsOf(key));
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

  #turnsOf(key: string): KeyTurns {
    let turns = this.#keys.get(key);
    if (!turns) this.#keys.set(key, (turns = { holders: new Set(), waiting: [], watchers: [] }));
    return turns;
  }

  #hold(key: string, turns: KeyTurns): Turn {
    const expire = (): NodeJS.Timeout => setTimeout(() => this.#end(key, turns, holder), this.holdMs).unref();
    const holder: Holder = {
      timer: expire(),
      end: () => this.#end(key, turns, holder),
      renew: () => {
        if (!turns.holders.has(holder)) return false;
        clearTimeout(holder.timer);
        holder.timer = expire();
        return true;
      },
    };
    turns.holders.add(holder);
    return holder;
  }

  #end(key: string, turns: KeyTurns, holder: Holder): void {
    if (!turns.holders.delete(holder)) return;
    clearTimeout(holder.timer);
    const next = turns.waiting.shift();
    if (next) next(this.#hold(key, turns));
    if (turns.watchers.length > 0) {
      const size = turns.holders.size;
      const due = turns.watchers.filter((watcher) => size < watcher.count);
      turns.watchers = turns.watchers.filter((watcher) => size >= watcher.count);
      for (const watcher of due) watcher.resolve();
    }
    if (turns.holders.size === 0 && turns.waiting.length === 0 && turns.watchers.length === 0) this.#keys.delete(key);
  }
}

/** One attempt's turn; `end()` gives it back (again: nothing). */
export interface Turn {
  end(): void;
  /** Starts its time limit again; false when it has already ended (or expired). */
  renew(): boolean;
}

interface Holder extends Turn {
  timer: NodeJS.Timeout;
}

interface KeyTurns {
  readonly holders: Set<Holder>;
  readonly waiting: Array<(turn: Turn) => void>;
  /** Those waiting for the number of holders to fall below their count (see fewerThan). */
  watchers: Array<{ readonly count: number; readonly resolve: () => void }>;
}
