import { detached, ignoreFailure } from "./detached.js";

/** The part of Map and WeakMap a SerialQueues needs: either holds its tails. */
interface TailStore<K> {
  get(key: K): Promise<void> | undefined;
  set(key: K, tail: Promise<void>): unknown;
  delete(key: K): boolean;
  has(key: K): boolean;
}

/**
 * One queue of async work per key: work for a key starts when the work queued before it
 * for the same key has settled (fulfilled or not), so its effects keep their order. A
 * key's entry goes once its queue is empty. Tails live in a Map, or in a WeakMap when
 * keys are objects whose entries should go with them.
 */
export class SerialQueues<K> {
  constructor(private readonly tails: TailStore<K> = new Map<K, Promise<void>>()) {}

  run<T>(key: K, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // `tail` never rejects (above).
    detached(
      tail.then(() => {
        if (this.tails.get(key) === tail) this.tails.delete(key);
      }),
      ignoreFailure,
    );
    return result;
  }

  /** Whether work is queued or running for `key`. */
  busy(key: K): boolean {
    return this.tails.has(key);
  }
}
