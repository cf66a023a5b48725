import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import { openStore, type Store } from "./store/database.js";
import { AccountsRepository } from "./store/accounts-repository.js";
import { LoginFailuresRepository } from "./store/login-failures-repository.js";
import { RegistrationAttemptsRepository } from "./store/registration-attempts-repository.js";
import { AccountService, type AccountSettings } from "./core/accounts/account-service.js";
import { LoginGuard } from "./core/accounts/login-guard.js";
import { RefreshSessions, type RefreshSettings } from "./core/accounts/refresh-sessions.js";
import { RefreshTokensRepository } from "./store/refresh-tokens-repository.js";
import { PushSubscriptionsRepository } from "./store/push-subscriptions-repository.js";
import { foldCase } from "./core/chat/names.js";

export interface Domain {
  readonly store: Store;
  readonly accounts: AccountService;
  /**
   * Login sessions (refresh-token families) of the HTTP API; ended on every password change.
   * Ending all of an account's (revokeAll) deletes its Web Push subscriptions too.
   */
  readonly sessions: RefreshSessions;
  /** Applies a reloaded config to what can change at run time. */
  update(config: Config): void;
  close(): Promise<void>;
}

export function accountSettings(config: Config): AccountSettings {
  return { nameLength: config.irc.nickLength, scramIterations: config.auth.scramIterations, password: config.auth.password,
    selfRegistration: config.accounts.selfRegistration,
    registrationsPerAddressPerHour: config.accounts.registrationsPerAddressPerHour,
  };
}

export function refreshSettings(config: Config): RefreshSettings {
  return { refreshTokenDays: config.http.refreshTokenDays, refreshReuseGraceSeconds: config.http.refreshReuseGraceSeconds };
}

/** The database and the domain services over it, shared by the server and the CLI. */
export async function openDomain(config: Config, log: Logger, options: { migrate: boolean } = { migrate: true }): Promise<Domain> {
  // Said before, so a start that waits (a long migration, another node's lock) says what for.
  if (options.migrate) log.info({ dialect: config.database.url === "" ? "sqlite" : "postgres" }, "opening the database and applying pending migrations");
  const store = await openStore({
    url: config.database.url,
    dataDir: config.dataDir,
    migrate: options.migrate,
    walLimitBytes: config.database.sqliteWalLimitMiB * 1024 * 1024,
    checkpointInBackground: (err) => log.warn({ err }, "SQLite WAL checkpoints in the background (on failure the commits checkpoint again, as by default)"),
  });
  const guard = new LoginGuard(new LoginFailuresRepository(store.db), config.auth.bruteForce);
  const accounts = new AccountService(
    new AccountsRepository(store.db),
    guard,
    accountSettings(config),
    log,
    Date.now,
    new RegistrationAttemptsRepository(store.db),
  );
  const sessions = new RefreshSessions(new RefreshTokensRepository(store.db), accounts, refreshSettings(config), log);
  // Here, not in the HTTP adapter: a password changed over IRC or by the CLI must end web sessions too.
  accounts.onPasswordChanged((account) => sessions.revokeAll(account, "password changed"));
  // A push subscription reads the account's direct messages and mentions wherever its endpoint
  // leads: one registered by whoever held a session (or the password) must not outlive a password
  // change or "sign out everywhere". Devices of the owner register again on their next connection.
  // Here, so the CLI (`user passwd`, another process) deletes them too; deleting the account does
  // by ON DELETE CASCADE.
  const pushSubscriptions = new PushSubscriptionsRepository(store.db, store.dialect);
  sessions.onAllRevoked(async (account, why) => {
    const deleted = await pushSubscriptions.deleteForAccount(foldCase(account.name));
    if (deleted > 0) log.info({ account: account.name, deleted, why }, "push subscriptions deleted");
  });
  return {
    store,
    accounts,
    sessions,
    update(next) {
      guard.update(next.auth.bruteForce);
      accounts.update(accountSettings(next));
      sessions.update(refreshSettings(next));
    },
    close: () => store.close(),
  };
}
