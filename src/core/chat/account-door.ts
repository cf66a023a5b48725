import type { AccountDoor, LoggedInSession } from "../accounts/account-sessions.js";
import type { Account } from "../accounts/ports.js";
import type { ChatCore } from "./chat-core.js";
import { foldCase } from "./names.js";

/** A connection to chat on this node (an IRC connection), which may log in before it is a user (SASL). */
export interface AccountConnection {
  /** The account it logged in to, as read at its login; null while it has not. */
  readonly account: Account | null;
  /** Ends the connection; its client is told `reason`. */
  close(reason: string): void;
}

/**
 * Chat as a door with sessions logged in to accounts (see AccountSessions): this node's users
 * by account, and `connections`, this node's connections, each logged in or not.
 */
export function chatAccountDoor(core: ChatCore, connections: () => Iterable<AccountConnection>): AccountDoor {
  return {
    loggedIn: () => {
      const accounts = new Set<string>();
      for (const user of core.users()) if (user.node === null && user.account !== null) accounts.add(foldCase(user.account));
      return accounts;
    },
    // Each connection on its own: of a user shared by several (multiclient), the one that changed the password stays.
    sessions: function* (): Iterable<LoggedInSession> {
      for (const connection of connections()) {
        const account = connection.account;
        if (account === null) continue;
        yield { account: foldCase(account.name), credentialsVersion: account.credentialsVersion, session: connection, end: (reason) => connection.close(reason) };
      }
    },
    // Disconnected, always-on ones included: a user of an account that is gone would keep its nick, channels and status.
    endDeleted: (folded) => {
      for (const user of core.usersOfAccount(folded)) if (user.node === null) core.kill(user, "Account deleted");
    },
  };
}
