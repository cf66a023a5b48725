import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import { openStore, type Store } from "./store/database.js";
import { AccountsRepository } from "./store/accounts-repository.js";
import { LoginFailuresRepository } from "./store/login-failures-repository.js";
import { AccountService, type AccountSettings } from "./core/accounts/account-service.js";
import { LoginGuard } from "./core/accounts/login-guard.js";

export interface Domain {
  readonly store: Store;
  readonly accounts: AccountService;
  /** Applies a reloaded config to what can change at run time. */
  update(config: Config): void;
  close(): Promise<void>;
}

export function accountSettings(config: Config): AccountSettings {
  return { nameLength: config.irc.nickLength, scramIterations: config.auth.scramIterations };
}

/** The database and the domain services over it, shared by the server and the CLI. */
export async function openDomain(config: Config, log: Logger, options: { migrate: boolean } = { migrate: true }): Promise<Domain> {
  const store = await openStore({ url: config.database.url, dataDir: config.dataDir, migrate: options.migrate });
  const guard = new LoginGuard(new LoginFailuresRepository(store.db), config.auth.bruteForce);
  const accounts = new AccountService(new AccountsRepository(store.db), guard, accountSettings(config), log);
  return {
    store,
    accounts,
    update(next) {
      guard.update(next.auth.bruteForce);
      accounts.update(accountSettings(next));
    },
    close: () => store.close(),
  };
}
