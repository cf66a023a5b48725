/**
 * Which other nodes' snapshots (their hello, or their snap answering ours) this node has
 * applied since it last joined, and waiting for a given set of them.
 */
export class PeerSnapshots {
  readonly #heard = new Set<string>();
  readonly #waiters = new Set<() => void>();

  /** A (re)join: what was heard before says nothing about the cluster as it is now. */
  clear(): void {
    this.#heard.clear();
  }

  /** Wakes every wait (the node stops: each one then sees `stopped()` and gives up). */
  wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  applied(instance: string): void {
    this.#heard.add(instance);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves true once every one of `instances` was heard, false when `deadline` (ms since the epoch) or `stopped()` comes first. */
  async heardAll(instances: readonly string[], deadline: number, stopped: () => boolean): Promise<boolean> {
    while (!instances.every((instance) => this.#heard.has(instance))) {
      const left = deadline - Date.now();
      if (left <= 0 || stopped()) return false;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        timer.unref();
        this.#waiters.add(wake);
      });
    }
    return true;
  }
}
