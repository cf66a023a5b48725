import type { AccountDoor } from "../accounts/deleted-accounts.js";
import type { ChatCore } from "./chat-core.js";
import { foldCase } from "./names.js";

/** Chat as a door with sessions logged in to accounts (see DeletedAccounts): this node's users, by account. */
export function chatAccountDoor(core: ChatCore): AccountDoor {
  return {
    loggedIn: () => {
      const accounts = new Set<string>();
      for (const user of core.users()) if (user.node === null && user.account !== null) accounts.add(foldCase(user.account));
      return accounts;
    },
    // Disconnected, always-on ones included: a user of an account that is gone would keep its nick, channels and status.
    end: (folded) => {
      for (const user of core.usersOfAccount(folded)) if (user.node === null) core.kill(user, "Account deleted");
    },
  };
}
