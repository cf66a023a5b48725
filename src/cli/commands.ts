/** The commands of `cmymessage` (the entry, main.ts, loads this after its early SIGHUP handler). */
import { takeEarlySighup } from "./early-sighup.js";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { createLogger } from "../log.js";
import { servesTls, startServer } from "../server.js";
import { loadConfiguredTls } from "../net/tls-certificate.js";
import { checkServingConfig, checkSomethingToServe } from "../cluster/serving-checks.js";
import { makeDataDirectory } from "../data-directory.js";
import { hashPassword } from "../auth/passwords.js";
import { readPassword } from "./password-input.js";
import { VERSION } from "../version.js";
import { withoutPassword } from "../url-password.js";
import { helpOption, printUsage } from "./usage.js";
import { UsageError } from "./errors.js";
import { configLoader, configOptions, parseWithConfig } from "./config-options.js";
import { migrateCommand, userCommand } from "./user-command.js";

/**
 * What serve refuses before it binds or makes anything; `config check` runs the same,
 * so that a file it calls valid is one serve starts with.
 */
async function checkBeforeServing(config: Config): Promise<void> {
  checkServingConfig(config);
  checkSomethingToServe(config);
  // The certificate and key files, as serve reads them (a pair, PEM, readable).
  if (servesTls(config) && (config.tls.certFile !== "" || config.tls.keyFile !== "")) await loadConfiguredTls(config.tls);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...configOptions, ...helpOption }, strict: true, allowPositionals: false });
  if (values["help"] === true) return printUsage();
  // SIGHUP's handler comes before anything is read or started: its default action ends the
  // process, and systemd's ExecReload (Type=exec) or a script may send it while the server is
  // still starting. One that arrives then is remembered and applied as a reload once the server
  // runs (the file may have changed since it was read); several during the start make one reload.
  let reloadNow: (() => void) | null = null;
  let reloadPending = false;
  process.on("SIGHUP", () => {
    if (reloadNow !== null) reloadNow();
    else reloadPending = true;
  });
  if (takeEarlySighup()) reloadPending = true;
  const load = configLoader(values);
  const config = await load();
  const log = createLogger(config.log);
  // The handlers come first: a SIGTERM during the start (or just after "running" is logged,
  // which a supervisor may act on at once) must stop the server gracefully, not kill it.
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let pendingSignal: string | null = null;
  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) {
      log.warn({ signal }, "second signal: stopping now");
      process.exit(1);
    }
    if (server === null) {
      pendingSignal = signal;
      return;
    }
    log.info({ signal }, "shutting down");
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "graceful stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // Made here rather than by the server's recursive mkdir, which spins forever on a path
  // such as /proc/x; after the settings check, so a refused configuration leaves no trace.
  await checkBeforeServing(config);
  await makeDataDirectory(config.dataDir);
  const running = await startServer(config, { log, reload: load });
  server = running;
  reloadNow = () => {
    running.reload().then(
      () => log.info("SIGHUP: configuration reloaded"),
      (error: Error) => log.error({ err: error.message }, "SIGHUP: configuration is invalid; nothing changed"),
    );
  };
  log.info({ version: VERSION, dataDir: config.dataDir }, "CmyMessage is running");
  if (pendingSignal !== null) {
    // Counted again by stop(): the first signal stops gracefully now that there is a server to stop.
    signals--;
    stop(pendingSignal);
  } else if (reloadPending) {
    // A stop asked for during the start (above) makes a reload asked for then moot.
    log.info("SIGHUP during the start: reloading the configuration now that the server runs");
    reloadNow();
  }
}

/** The settings as config check prints them: the passwords in the database and Redis URLs (often from the environment) as `***`. */
function shownSettings(config: Config): Config {
  return { ...config, database: { ...config.database, url: withoutPassword(config.database.url) }, cluster: { ...config.cluster, redisUrl: withoutPassword(config.cluster.redisUrl) } };
}

const CONFIG_USAGE = "usage: cmymessage config check <file> [serve's options but --config]";

/** Reads the file as serve would, with the CMY_* environment and the flags over it: what it calls valid, serve starts with. */
async function configCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseWithConfig(args, helpOption);
  if (values["help"] === true) return printUsage();
  const [sub, file, ...rest] = positionals;
  if (sub !== "check" || !file || rest.length > 0 || values["config"] !== undefined) throw new UsageError(CONFIG_USAGE);
  const config = await configLoader({ ...values, config: file })();
  await checkBeforeServing(config);
  process.stdout.write(`${file}: valid; the effective settings (the file, then CMY_* variables and flags over it):\n${JSON.stringify(shownSettings(config), null, 2)}\n`);
}

async function hashPasswordCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { password: { type: "string" }, ...helpOption }, strict: true });
  if (values.help === true) return printUsage();
  const password = await readPassword(values.password);
  process.stdout.write(`${await hashPassword(password)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // Only serve reloads: every other command gets SIGHUP's default (ending it) back.
  if (command !== "serve") takeEarlySighup();
  switch (command) {
    case undefined:
    case "-h":
    case "--help":
    case "help":
      return printUsage();
    case "-v":
    case "--version":
      process.stdout.write(`cmymessage ${VERSION}\n`);
      return;
    case "serve":
      return serve(rest);
    case "config":
      return configCommand(rest);
    case "hash-password":
      return hashPasswordCommand(rest);
    case "user":
      return userCommand(rest);
    case "migrate":
      return migrateCommand(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") === true;
  process.stderr.write(`cmymessage: ${(error as Error).message}\n`);
  if (usage) process.stderr.write("Run 'cmymessage --help' for usage.\n");
  process.exit(usage || error instanceof ConfigError ? 2 : 1);
});
