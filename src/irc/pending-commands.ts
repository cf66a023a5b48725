/**
 * The commands of one IRC connection that have started and not finished: pipelined
 * messages (their storage must not serialise a client's lines) and the command holding
 * the input queue. A closing connection lets them finish before its user quits, so
 * history never holds a message nobody was shown.
 */
export class PendingCommands {
  readonly #running = new Set<Promise<unknown>>();
  /** Pipelined jobs not yet finished, and callers waiting for one of them to end. */
  #inFlight = 0;
  #slotWaiters: Array<() => void> = [];

  /** `failed` logs a pipelined job that failed (nobody awaits it). */
  constructor(private readonly failed: (error: unknown) => void) {}

  get idle(): boolean {
    return this.#running.size === 0;
  }

  /** Remembers `work` until it settles. */
  track(work: Promise<unknown>): void {
    this.#running.add(work);
    const forget = (): void => void this.#running.delete(work);
    work.then(forget, forget);
  }

  /**
   * Lets `work` finish in the background while the next commands run, as long as fewer
   * than `max` such jobs are pending; past that, the caller waits for one to end.
   */
  async pipeline(work: Promise<void>, max: number): Promise<void> {
    this.#inFlight++;
    this.track(work);
    void work.catch(this.failed).finally(() => {
      this.#inFlight--;
      this.#slotWaiters.shift()?.();
    });
    if (this.#inFlight >= max) await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  /** Resolves once every command running now has settled, or after `boundMs`, whichever comes first. */
  async settled(boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)));
    await Promise.race([Promise.allSettled([...this.#running]), bound]);
    clearTimeout(timer);
  }
}
