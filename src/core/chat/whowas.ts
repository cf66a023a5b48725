import { foldCase } from "./names.js";

export interface WhowasEntry {
  readonly nick: string;
  readonly username: string;
  readonly hostname: string;
  readonly realname: string;
  readonly account: string | null;
  readonly leftAt: number;
}

/** A bounded record of nicks that left, newest first, for WHOWAS. */
export class WhowasHistory {
  readonly #entries: WhowasEntry[] = [];

  constructor(private readonly capacity: number) {}

  add(entry: WhowasEntry): void {
    if (this.capacity === 0) return;
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.shift();
  }

  find(nick: string, limit: number): WhowasEntry[] {
    const folded = foldCase(nick);
    const found: WhowasEntry[] = [];
    for (let i = this.#entries.length - 1; i >= 0 && found.length < limit; i--) {
      const entry = this.#entries[i]!;
      if (foldCase(entry.nick) === folded) found.push(entry);
    }
    return found;
  }
}
