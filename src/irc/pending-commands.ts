import type { Logger } from "pino";

/**
 * How long a closing connection waits for its commands still running (messages being
 * stored) before its user quits. Longer than the history writer's own 4 s bound, so
 * in practice every stored message is delivered first; this only guards against a
 * command that never ends.
 */
const QUIT_AFTER_RUNNING_MS = 5000;

/** The commands that may run while the client's earlier messages are still being stored. */
const PIPELINED_COMMANDS: ReadonlySet<string> = new Set(["PRIVMSG", "NOTICE", "TAGMSG"]);

/** Whose commands they are: a failed pipelined one is logged with its address. */
export interface CommandOwner {
  readonly address: string;
  readonly context: { readonly log: Logger };
}

/**
 * The commands of one IRC connection that have started and not finished: pipelined
 * messages (their storage must not serialise a client's lines) and the command holding
 * the input queue. A closing connection lets them finish before its user quits, so
 * history never holds a message nobody was shown.
 *
 * Counts, not a set of promises, and waiter lists made only when someone waits: the
 * connection keeps this for its lifetime once it ran one asynchronous command.
 */
export class PendingCommands {
  /** Commands started and not settled (pipelined ones included). */
  #running = 0;
  /** Pipelined jobs not yet finished, and callers waiting for one of them to end. */
  #inFlight = 0;
  #slotWaiters: Array<() => void> | null = null;
  /** Callers of `settled` waiting for #running to reach 0. */
  #idleWaiters: Array<() => void> | null = null;
  /** Callers of `pipelinedSettled` waiting for #inFlight to reach 0. */
  #pipelineWaiters: Array<() => void> | null = null;

  constructor(private readonly owner: CommandOwner) {}

  get idle(): boolean {
    return this.#running === 0;
  }

  /**
   * Whether `command` must wait for the pipelined messages under way. Messages are delivered
   * when stored: any other command waits for them, so a KICK, NICK or PART sent after a
   * message never reaches anyone before it. A labelled one waits too: while its replies are
   * collected, the echo or RPL_AWAY of an earlier message would be taken into its batch.
   */
  mustWaitFor(command: string, labelled: boolean): boolean {
    return this.#inFlight > 0 && (labelled || !PIPELINED_COMMANDS.has(command));
  }

  /** Remembers `work` until it settles. */
  track(work: Promise<unknown>): void {
    this.#running++;
    const done = (): void => this.#settledOne();
    work.then(done, done);
  }

  /**
   * Lets `work` finish in the background while the next commands run, as long as fewer
   * than `max` such jobs are pending (undefined); past that, the caller waits for one to end (a promise).
   */
  pipeline(work: Promise<void>, max: number): Promise<void> | undefined {
    this.#running++;
    this.#inFlight++;
    work.then(
      () => this.#pipelinedDone(),
      (error: unknown) => {
        this.owner.context.log.error({ err: error, address: this.owner.address }, "irc background command failed");
        this.#pipelinedDone();
      },
    );
    // Under the bound the caller goes on at once (no promise): its next line runs in this turn.
    if (this.#inFlight < max) return undefined;
    return new Promise<void>((resolve) => (this.#slotWaiters ??= []).push(resolve));
  }

  /** Resolves once every command running now has settled, or after `boundMs`, whichever comes first. */
  async settled(boundMs = QUIT_AFTER_RUNNING_MS): Promise<void> {
    if (this.#running === 0) return;
    await bounded(new Promise<void>((resolve) => (this.#idleWaiters ??= []).push(resolve)), boundMs);
  }

  /** Resolves once the pipelined jobs under way now have finished (bounded as `settled`). */
  async pipelinedSettled(boundMs = QUIT_AFTER_RUNNING_MS): Promise<void> {
    if (this.#inFlight === 0) return;
    await bounded(new Promise<void>((resolve) => (this.#pipelineWaiters ??= []).push(resolve)), boundMs);
  }

  #pipelinedDone(): void {
    if (--this.#inFlight === 0 && this.#pipelineWaiters !== null) {
      const waiters = this.#pipelineWaiters;
      this.#pipelineWaiters = null;
      for (const resolve of waiters) resolve();
    }
    const next = this.#slotWaiters?.shift();
    if (this.#slotWaiters?.length === 0) this.#slotWaiters = null;
    next?.();
    this.#settledOne();
  }

  #settledOne(): void {
    if (--this.#running > 0 || this.#idleWaiters === null) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = null;
    for (const resolve of waiters) resolve();
  }
}

/** `work`, or nothing after `boundMs`, whichever comes first (the timer cleared either way). */
async function bounded(work: Promise<void>, boundMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)));
  await Promise.race([work, bound]);
  clearTimeout(timer);
}
