/**
 * Listeners of one kind of fact (a message sent, a message removed): features built
 * beside chat (file shares, push) hear of it without chat knowing them. A listener's
 * fault never reaches the one who reports the fact.
 */
export class Observers<T> {
  readonly #list: Array<(fact: T) => void> = [];

  add(observer: (fact: T) => void): void {
    this.#list.push(observer);
  }

  get size(): number {
    return this.#list.length;
  }

  notify(fact: T): void {
    for (const observer of this.#list) {
      try {
        observer(fact);
      } catch {
        // What was done is done: an observer's failure must not turn it into an error.
      }
    }
  }
}
