import { pino } from "pino";
import { openDomain } from "../domain.js";
import { isPasswordProblem } from "../auth/password-policy.js";
import type { AccountService } from "../core/accounts/account-service.js";
import { configLoader, parseWithConfig } from "./config-options.js";
import { CommandFailed, UsageError } from "./errors.js";
import { readPassword } from "./password-input.js";
import type { Config } from "../config/schema.js";
import { makeDataDirectory } from "../data-directory.js";
import { helpOption, printUsage } from "./usage.js";
import { checkClusterDatabase } from "../cluster/serving-checks.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SQLITE_FILE } from "../store/database.js";

const USAGE = "usage: cmymessage user add|passwd NAME [--password PW] | user del NAME | user list";

function reasonText(reason: string, accounts: AccountService): string {
  if (isPasswordProblem(reason)) return accounts.passwordProblemText(reason);
  return (
    { "invalid-name": "account names follow the nick rules: a letter or one of []\\`_^{|} first, then letters, digits, those or -", "name-taken": "that account name is taken", "name-retired": "a deleted account had that name, and what was kept under it (files, direct messages, shares) would pass to the new account; choose another name", "no-such-account": "no such account" }[reason] ?? reason
  );
}

/** Why `name` cannot be an account's (a service's name, a guest's, outside the nick rules), as the CLI words its reasons. */
function nameText(name: string, accounts: AccountService): string {
  const text = accounts.nameProblemText(name);
  return text === null ? reasonText("invalid-name", accounts) : text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * SQLite keeps its database in the data directory: it is made here, so that a path
 * where no folder can be made fails at once with the reason (see makeDataDirectory).
 */
async function makeSqliteDataDirectory(config: Config): Promise<void> {
  if (config.database.url === "") await makeDataDirectory(config.dataDir);
}

/**
 * A command that reads or changes existing accounts on SQLite refuses a data directory
 * with no database in it, rather than making an empty one there: a mistyped --data-dir
 * (or the current directory, under systemd's /var/lib/cmymessage) would otherwise "succeed"
 * with no account found, and leave a stray database behind.
 */
function requireSqliteDatabase(config: Config): void {
  if (config.database.url !== "") return;
  const file = join(config.dataDir, SQLITE_FILE);
  if (!existsSync(file)) throw new CommandFailed(`no database at ${file}: is the data directory right? (--data-dir or CMY_DATA_DIR, as the server was given; serve or user add makes one)`);
}

export async function userCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseWithConfig(args, { password: { type: "string" }, ...helpOption });
  if (values["help"] === true) return printUsage();
  const [action, name, ...rest] = positionals;
  if (!action || rest.length > 0) throw new UsageError(USAGE);
  // The arguments first: a usage error says so, whatever the data directory holds.
  if (!["add", "passwd", "del", "list"].includes(action) || (action === "list") !== (name === undefined)) throw new UsageError(USAGE);
  const config = await configLoader(values)();
  checkClusterDatabase(config);
  if (action === "add") await makeSqliteDataDirectory(config);
  else requireSqliteDatabase(config);
  const domain = await openDomain(config, pino({ level: "warn" }, process.stderr));
  try {
    switch (action) {
      case "add": {
        if (!name) throw new UsageError(USAGE);
        const result = await domain.accounts.register(name, await readPassword(values.password), null);
        if (!result.ok) throw new CommandFailed(`cannot add ${name}: ${result.reason === "invalid-name" ? nameText(name, domain.accounts) : reasonText(result.reason, domain.accounts)}`);
        process.stdout.write(`added account ${result.account.name}\n`);
        return;
      }
      case "passwd": {
        if (!name) throw new UsageError(USAGE);
        const result = await domain.accounts.changePassword(name, await readPassword(values.password));
        if (!result.ok) throw new CommandFailed(`cannot change the password of ${name}: ${reasonText(result.reason, domain.accounts)}`);
        process.stdout.write(`changed the password of ${name}\n`);
        return;
      }
      case "del": {
        if (!name) throw new UsageError(USAGE);
        // Named as stored ("Zed"), not as typed ("ZED"): the name is never registered again, so it cannot change in between.
        const account = await domain.accounts.find(name);
        if (!account || !(await domain.accounts.delete(account.name))) throw new CommandFailed(`cannot delete ${name}: ${reasonText("no-such-account", domain.accounts)}`);
        process.stdout.write(`deleted account ${account.name}\n`);
        return;
      }
      case "list": {
        if (name) throw new UsageError(USAGE);
        for (const account of await domain.accounts.list()) {
          const seen = account.lastSeenAt ? new Date(account.lastSeenAt).toISOString() : "never";
          process.stdout.write(`${account.name}\tcreated ${new Date(account.createdAt).toISOString()}\tlast seen ${seen}\n`);
        }
        return;
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    await domain.close();
  }
}

export async function migrateCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseWithConfig(args, helpOption);
  if (values["help"] === true) return printUsage();
  if (positionals.length > 0) throw new UsageError("usage: cmymessage migrate [--config FILE] [--data-dir DIR]");
  const config = await configLoader(values)();
  checkClusterDatabase(config);
  await makeSqliteDataDirectory(config);
  const { migrateStore } = await import("../store/database.js");
  const { applied, location } = await migrateStore({ url: config.database.url, dataDir: config.dataDir });
  process.stdout.write(applied.length > 0 ? `applied ${applied.join(", ")} to ${location}\n` : `${location} is up to date\n`);
}
