/**
 * Work that may finish at once or later: `undefined` when it is done, a promise when
 * it has to wait. Hot paths (a PRIVMSG that needs no storage) stay synchronous this
 * way, without a promise and a microtask per step.
 */
export type MaybePromise = Promise<void> | undefined;

/** Runs `step` on each item in order, each after the previous one finished; synchronous while every step is. */
export function inOrder<T>(items: readonly T[], step: (item: T) => MaybePromise, from = 0): MaybePromise {
  for (let i = from; i < items.length; i++) {
    const pending = step(items[i]!);
    if (pending) return pending.then(() => inOrder(items, step, i + 1));
  }
  return undefined;
}
