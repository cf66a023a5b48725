/**
 * What a start has opened so far, to close again, last first, when a later step fails:
 * half a server is worse than none. A failed start must not leave its database open, its
 * timers writing to it or its ports bound (an embedding process, or a test, lives on).
 */
export class StartupRollback {
  readonly #closers: Array<() => unknown> = [];

  /** `close` undoes a step that has been taken (or begun: a listener set that half-opened). */
  add(close: () => unknown): void {
    this.#closers.push(close);
  }

  /** Runs every closer, the last added first; one that fails is reported and the rest still run. */
  async undo(onError: (error: unknown) => void): Promise<void> {
    for (let close = this.#closers.pop(); close; close = this.#closers.pop()) {
      try {
        await close();
      } catch (error) {
        onError(error);
      }
    }
  }
}
