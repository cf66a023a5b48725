/**
 * Lets at most `perTurn` callers through per turn of the event loop; the others wait for
 * later turns, in the order they came. For work that arrives in bursts and runs on the
 * event loop between its waits: 50 clients logging in at the same moment each read their
 * account, credential and brute-force counters (about half a millisecond of work apiece)
 * within one turn, and a chat message read in that turn waited for all of them. Through
 * a gate, a turn takes on `perTurn` of them and the loop reads its sockets again between.
 */
export class TurnGate {
  #passed = 0;
  #nextTurnScheduled = false;
  readonly #waiting: Array<() => void> = [];

  constructor(private readonly perTurn: number) {
    if (!Number.isInteger(perTurn) || perTurn < 1) throw new RangeError(`perTurn must be a positive integer, not ${perTurn}`);
  }

  /** Undefined when the caller may go on now; otherwise a promise that resolves on the turn it may. */
  pass(): Promise<void> | undefined {
    this.#scheduleNextTurn();
    if (this.#waiting.length === 0 && this.#passed < this.perTurn) {
      this.#passed++;
      return undefined;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Callers waiting for a later turn (for tests and metrics). */
  get waiting(): number {
    return this.#waiting.length;
  }

  // An immediate runs at the end of a turn, after its I/O; one queued from an immediate runs
  // at the end of the next turn. So the callback below closes a turn: it lets through what the
  // turn has left of its share (callers may have passed at once during it), then starts the
  // count of the next.
  #scheduleNextTurn(): void {
    if (this.#nextTurnScheduled) return;
    this.#nextTurnScheduled = true;
    setImmediate(() => {
      this.#nextTurnScheduled = false;
      while (this.#passed < this.perTurn && this.#waiting.length > 0) {
        this.#passed++;
        this.#waiting.shift()!();
      }
      this.#passed = 0;
      if (this.#waiting.length > 0) this.#scheduleNextTurn();
    });
  }
}
