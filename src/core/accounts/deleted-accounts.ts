import { detached } from "../../detached.js";

/** A door with sessions logged in to accounts on this node (IRC users, FTP sessions). */
export interface AccountDoor {
  /** The folded names of the accounts logged in through this door here. */
  loggedIn(): Iterable<string>;
  /** Ends this door's sessions of the account `folded`, which no longer exists. */
  end(folded: string): void;
}

/** What this needs of AccountService. */
export interface AccountDeletions {
  onDeleted(listener: (folded: string) => void): void;
  gone(folded: readonly string[]): Promise<string[]>;
}

/**
 * Ends the sessions of deleted accounts on every door: at once for a deletion in this
 * process (NickServ DROP), and within a sweep for one elsewhere (`cmymessage user del`,
 * another node), which this process only learns of by asking the database.
 */
export class DeletedAccounts {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly accounts: AccountDeletions,
    private readonly doors: readonly AccountDoor[],
    private readonly onError: (error: unknown) => void,
  ) {
    accounts.onDeleted((folded) => this.#end(folded));
  }

  /** Sweeps every `intervalMs` (`accounts.deletedCheckSeconds`). */
  start(intervalMs: number): void {
    this.#timer = setInterval(() => detached(this.sweep(), this.onError), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Ends the sessions of every account logged in here that no longer exists. */
  async sweep(): Promise<void> {
    const names = new Set<string>();
    for (const door of this.doors) for (const name of door.loggedIn()) names.add(name);
    for (const folded of await this.accounts.gone([...names])) this.#end(folded);
  }

  #end(folded: string): void {
    for (const door of this.doors) door.end(folded);
  }
}
