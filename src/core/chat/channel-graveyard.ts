import type { Channel } from "./channel.js";
import { channelState, hasChanges, type ChannelState } from "./replication.js";

/**
 * How long, and how many, emptied channels' states are kept: internal to replication (a
 * minute covers any lag between nodes that still has them in step), not an operator setting.
 */
const KEEP_MS = 60_000;
const KEEP_MAX = 1000;

/**
 * The last state of channels that emptied on this node, for a short while. In a cluster a
 * channel can empty in one node's replica while a user on another node joins it at the same
 * moment; the join re-creates it here, and the state it had (a topic set a moment before)
 * is taken back from here rather than lost on this node alone.
 */
export class ChannelGraveyard {
  readonly #graves = new Map<string, { readonly state: ChannelState; readonly emptiedAt: number }>();

  constructor(private readonly now: () => number) {}

  bury(channel: Channel): void {
    if (!hasChanges(channel)) return;
    const now = this.now();
    // Oldest first (re-buried channels move to the end): drop what has expired, and past the cap the oldest.
    for (const [folded, grave] of this.#graves) {
      if (now - grave.emptiedAt <= KEEP_MS && this.#graves.size < KEEP_MAX) break;
      this.#graves.delete(folded);
    }
    this.#graves.delete(channel.folded);
    this.#graves.set(channel.folded, { state: channelState(channel), emptiedAt: now });
  }

  /** The state `folded` had when it emptied here, if a channel created at `createdAt` elsewhere overlapped its life. */
  exhume(folded: string, createdAt: number): ChannelState | null {
    const grave = this.#graves.get(folded);
    if (!grave) return null;
    this.#graves.delete(folded);
    if (this.now() - grave.emptiedAt > KEEP_MS || createdAt > grave.emptiedAt) return null;
    return grave.state;
  }
}
