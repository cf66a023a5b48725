import type { IrcMessage } from "./irc-line.js";

/** An IRCv3 batch, complete: its opening line's type, parameters and tags, and what it held in order. */
export interface Batch {
  readonly ref: string;
  readonly type: string;
  readonly params: readonly string[];
  /** Tags of the `BATCH +ref` line (a multiline message's msgid and time are here). */
  readonly tags: ReadonlyMap<string, string> | null;
  readonly source: string | null;
  readonly items: ReadonlyArray<IrcMessage | Batch>;
}

export function isBatch(item: IrcMessage | Batch): item is Batch {
  return "items" in item;
}

interface OpenBatch {
  ref: string;
  type: string;
  params: string[];
  tags: ReadonlyMap<string, string> | null;
  source: string | null;
  items: Array<IrcMessage | Batch>;
  parent: string | null;
}

/**
 * Collects the lines of open batches (nested ones too) and hands out each top-level
 * batch whole once it ends; lines outside any batch pass straight through.
 */
export class BatchAssembler {
  readonly #open = new Map<string, OpenBatch>();

  /** Returns what is complete at the top level after this line: nothing, the line itself, or a batch. */
  accept(message: IrcMessage): IrcMessage | Batch | null {
    const parent = message.tags?.get("batch") ?? null;
    if (message.command === "BATCH") {
      const first = message.params[0] ?? "";
      const ref = first.slice(1);
      if (first.startsWith("+")) {
        this.#open.set(ref, { ref, type: message.params[1] ?? "", params: message.params.slice(2), tags: message.tags, source: message.source, items: [], parent: parent !== null && this.#open.has(parent) ? parent : null });
        return null;
      }
      if (first.startsWith("-")) {
        const done = this.#open.get(ref);
        if (!done) return null;
        this.#open.delete(ref);
        const batch: Batch = { ref, type: done.type, params: done.params, tags: done.tags, source: done.source, items: done.items };
        const outer = done.parent !== null ? this.#open.get(done.parent) : undefined;
        if (outer) {
          outer.items.push(batch);
          return null;
        }
        return batch;
      }
      return null;
    }
    const open = parent !== null ? this.#open.get(parent) : undefined;
    if (open) {
      open.items.push(message);
      return null;
    }
    return message;
  }

  /** A new connection: batches of the old one will never end. */
  reset(): void {
    this.#open.clear();
  }
}
