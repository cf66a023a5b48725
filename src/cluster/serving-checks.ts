import { ConfigError } from "../config/load.js";
import type { Config } from "../config/schema.js";

/** Why a cluster on SQLite is refused; the wording is part of the contract (docs, tests, operators' scripts). */
export const REDIS_NEEDS_POSTGRES =
  "cluster.redisUrl (CMY_REDIS_URL) needs database.url (CMY_DATABASE_URL) on PostgreSQL: nodes share their accounts and history there; SQLite is one node's file";

/**
 * What a valid configuration may still not serve with, checked before anything starts
 * (the schema checks each key; this checks keys that only make sense together).
 * Throws a ConfigError, which the CLI turns into exit code 2.
 */
export function checkServingConfig(config: Pick<Config, "cluster" | "database">): void {
  // Nodes on the Redis bus each on their own SQLite file would each see other accounts and history.
  if (config.cluster.redisUrl !== "" && config.database.url === "") throw new ConfigError(REDIS_NEEDS_POSTGRES);
}

/** Why `serve` with no listener at all is refused: it would log that it runs, and exit at once. */
export const NOTHING_TO_SERVE =
  "nothing to serve: irc.listen, irc.tlsListen, ftp.listen and http.listen (CMY_IRC_LISTEN, CMY_IRC_TLS_LISTEN, CMY_FTP_LISTEN, CMY_HTTP_LISTEN) are all empty";

/** `cmymessage serve` needs at least one listener (checked by the CLI; tests start servers without any). */
export function checkSomethingToServe(config: Pick<Config, "irc" | "ftp" | "http">): void {
  const listeners = [config.irc.listen, config.irc.tlsListen, config.ftp.listen, config.http.listen];
  if (listeners.every((list) => list.length === 0)) throw new ConfigError(NOTHING_TO_SERVE);
}
