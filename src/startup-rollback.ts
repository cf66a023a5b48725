/**
 * What a start has opened so far, to close again, last first, when a later step fails:
 * half a server is worse than none. A failed start must not leave its database open, its
 * timers writing to it or its ports bound (an embedding process, or a test, lives on).
 */
export class StartupRollback {
  readonly #closers: Array<{ readonly part: string; readonly close: () => unknown }> = [];

  /** `close` undoes a step that has been taken (or begun: a listener set that half-opened); `part` names it in a report. */
  add(part: string, close: () => unknown): void {
    this.#closers.push({ part, close });
  }

  /** Runs every closer, the last added first; one that fails is reported and the rest still run. */
  async undo(onError: (part: string, error: unknown) => void): Promise<void> {
    for (let closer = this.#closers.pop(); closer; closer = this.#closers.pop()) {
      try {
        await closer.close();
      } catch (error) {
        onError(closer.part, error);
      }
    }
  }
}
