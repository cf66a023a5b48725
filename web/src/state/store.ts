/**
 * One state object and its listeners. Updates replace the state (and the parts that
 * changed), so a component re-renders when what it reads is a new object.
 */
export class Store<T> {
  #state: T;
  readonly #listeners = new Set<(state: T) => void>();
  #scheduled = false;

  constructor(initial: T) {
    this.#state = initial;
  }

  get state(): T {
    return this.#state;
  }

  update(change: (state: T) => T): void {
    const next = change(this.#state);
    if (next === this.#state) return;
    this.#state = next;
    // Many lines arrive in one task (a history page, a burst): listeners hear of them once.
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      for (const listener of this.#listeners) listener(this.#state);
    });
  }

  subscribe(listener: (state: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
