/**
 * The order in which a server closes what it opened: the doors first, all at once (no one
 * new comes in, and the clients still on them are told), then what the doors fed, each
 * stage after the one before it has finished. The same order serves a graceful stop and a
 * start that fails half way: half a server is worse than none, and a failed start must not
 * leave its database open, its timers writing to it or its ports bound (an embedding
 * process, or a test, lives on).
 *
 * Why this order: uploads the doors cut off release their quota reservations ("file
 * transfers") before the database closes; a retention pass under way ends; a cluster node
 * stops taking events from its peers before push stops sending and before the always-on
 * users are saved for the last time; history is written out before the search index's
 * last pass reads it. What history writes last (an HTTP request or an always-on user's
 * message still in flight) is stored and delivered here, but no longer published to the
 * other nodes, which have had this node's goodbye, nor pushed.
 */
export const TEARDOWN_ORDER = ["doors", "file transfers", "retention", "cluster", "push", "history", "search indexer", "file shares", "always-on users", "database"] as const;

export type TeardownStage = (typeof TEARDOWN_ORDER)[number];

/** What a part is told as it closes: the reason its clients hear and how long it may take to let them go. */
export interface StopRequest {
  readonly reason: string;
  readonly timeoutMs: number;
}

interface Closer {
  readonly part: string;
  readonly close: (request: StopRequest) => unknown;
}

/** What a server has opened so far, to close in TEARDOWN_ORDER. A part is added as soon as it is open (or begun: a listener set that half-opened). */
export class Teardown {
  readonly #stages = new Map<TeardownStage, Closer[]>();

  /** `part` names it in a report; parts of one stage close together. */
  add(stage: TeardownStage, part: string, close: (request: StopRequest) => unknown): void {
    const closers = this.#stages.get(stage);
    if (closers) closers.push({ part, close });
    else this.#stages.set(stage, [{ part, close }]);
  }

  /**
   * Closes every part added so far, stage by stage; one that fails is reported by name and
   * the rest still close. Each part is closed once: a second call closes only what was added since.
   */
  async run(request: StopRequest, onError: (part: string, error: unknown) => void): Promise<void> {
    for (const stage of TEARDOWN_ORDER) {
      const closers = this.#stages.get(stage);
      if (!closers) continue;
      this.#stages.delete(stage);
      await Promise.all(
        closers.map(async ({ part, close }) => {
          try {
            await close(request);
          } catch (error) {
            onError(part, error);
          }
        }),
      );
    }
  }
}
