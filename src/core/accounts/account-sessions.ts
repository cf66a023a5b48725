import { detached } from "../../detached.js";
import { foldCase } from "../chat/names.js";
import type { Account } from "./ports.js";
import type { ChangingSession } from "./account-service.js";

/** Why a session ends when its account's password changed: the reason its client is told. */
export const PASSWORD_CHANGED = "Password changed";

/** One session logged in to an account on this node, as its door reports it. */
export interface LoggedInSession {
  /** The account's folded name. */
  readonly account: string;
  /** The account's credentialsVersion when this session logged in. */
  readonly credentialsVersion: number;
  /** The session itself, by identity: what AccountService.changePassword gets as `changedBy`. */
  readonly session: ChangingSession;
  /** Ends this session (told `reason`): the password it logged in with is no longer the account's. */
  end(reason: string): void;
}

/** A door with sessions logged in to accounts on this node (IRC connections, FTP sessions). */
export interface AccountDoor {
  /** The folded names of the accounts present through this door here (a user with no connection included). */
  loggedIn(): Iterable<string>;
  /** The sessions logged in to accounts through this door here. */
  sessions(): Iterable<LoggedInSession>;
  /** Ends this door's sessions of the account `folded`, which no longer exists. */
  endDeleted(folded: string): void;
}

/** What this needs of AccountService. */
export interface AccountChanges {
  onDeleted(listener: (folded: string) => void): void;
  onPasswordChanged(listener: (account: Account, changedBy: ChangingSession | null) => void): void;
  credentialsVersions(folded: readonly string[]): Promise<Map<string, number>>;
}

/**
 * Ends the sessions that logged in with something no longer valid, on every door: those of a
 * deleted account, and those that logged in before the account's password changed (but the
 * session that changed it). At once for a change in this process (NickServ DROP and SET
 * PASSWORD, the HTTP API), and within a sweep for one elsewhere (`cmymessage user del` and
 * `user passwd`, another node), which this process only learns of by asking the database.
 */
export class AccountSessions {
  #timer: NodeJS.Timeout | null = null;
  /** Sessions that changed their account's password here, with the credentialsVersion they made: they stay. */
  readonly #changers = new WeakMap<ChangingSession, number>();

  constructor(
    private readonly accounts: AccountChanges,
    private readonly doors: readonly AccountDoor[],
    private readonly onError: (error: unknown) => void,
  ) {
    accounts.onDeleted((folded) => this.#endDeleted(folded));
    accounts.onPasswordChanged((account, changedBy) => {
      if (changedBy) this.#changers.set(changedBy, account.credentialsVersion);
      this.#endStale(new Map([[foldCase(account.name), account.credentialsVersion]]));
    });
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

  /** Ends the sessions of every account present here that no longer exists or whose password changed since they logged in. */
  async sweep(): Promise<void> {
    const names = new Set<string>();
    for (const door of this.doors) {
      for (const name of door.loggedIn()) names.add(name);
      for (const session of door.sessions()) names.add(session.account);
    }
    if (names.size === 0) return;
    const current = await this.accounts.credentialsVersions([...names]);
    for (const folded of names) if (!current.has(folded)) this.#endDeleted(folded);
    // The sessions as they are now, not as before the query: one that logged in meanwhile is judged by its own login.
    this.#endStale(current);
  }

  #endDeleted(folded: string): void {
    for (const door of this.doors) door.endDeleted(folded);
  }

  /** Ends every session that logged in under an older credentialsVersion of its account than `current` has. */
  #endStale(current: ReadonlyMap<string, number>): void {
    for (const door of this.doors) {
      for (const session of [...door.sessions()]) {
        const version = current.get(session.account);
        if (version === undefined) continue;
        const loggedInUnder = Math.max(session.credentialsVersion, this.#changers.get(session.session) ?? session.credentialsVersion);
        if (loggedInUnder < version) session.end(PASSWORD_CHANGED);
      }
    }
  }
}
